"""``dartwatch db upgrade|current``: schema migrations."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser("db", help="database schema: upgrade, current")
    verbs = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    verbs.add_parser(
        "upgrade", help="apply all migrations (also done at every start)"
    ).set_defaults(handler="monitor.commands.db:upgrade")
    verbs.add_parser("current", help="print the applied schema revision").set_defaults(
        handler="monitor.commands.db:current"
    )


async def upgrade(args: argparse.Namespace, settings: Any) -> int:
    from storage.migrate import head_revision, upgrade

    await upgrade(settings.database_url)
    print(f"database at revision {head_revision()}")
    return 0


def current(args: argparse.Namespace, settings: Any) -> int:
    from storage.migrate import current_revision_sync, head_revision

    rev = current_revision_sync(settings.database_url)
    print(f"current: {rev or 'empty'} (head: {head_revision()})")
    return 0

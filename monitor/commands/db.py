"""``dartwatch db upgrade|current``: schema migrations."""

from __future__ import annotations

import argparse
from typing import Any

from monitor.commands._help import command_help


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "db",
        help="database schema: upgrade, current",
        **command_help(
            "The database behind DATABASE_URL (SQLite by default, PostgreSQL for several "
            "replicas). Migrations also run at every start; these verbs run them by hand.",
            "dartwatch db current",
            "dartwatch db upgrade",
        ),
    )
    verbs = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    verbs.add_parser(
        "upgrade",
        help="apply all migrations (also done at every start)",
        **command_help(
            "Bring the schema of DATABASE_URL to the newest revision; safe to repeat.",
            "dartwatch db upgrade",
            "DATABASE_URL=postgresql://dartwatch@127.0.0.1/dartwatch dartwatch db upgrade",
        ),
    ).set_defaults(handler="monitor.commands.db:upgrade")
    verbs.add_parser(
        "current",
        help="print the applied schema revision",
        **command_help(
            "Print the schema revision DATABASE_URL is at, and the newest one this "
            "version of dartwatch knows.",
            "dartwatch db current",
        ),
    ).set_defaults(handler="monitor.commands.db:current")


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

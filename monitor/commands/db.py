"""``dartwatch db upgrade|current``: schema migrations."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
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
    c = verbs.add_parser(
        "copy",
        help="copy every table to another database (SQLite <-> PostgreSQL), verified",
        **command_help(
            "Copy every table of DATABASE_URL to the database at --to (both are first "
            "migrated to this version's schema), in batches with progress, then verify "
            "row counts and checksums table by table. A non-empty target is refused "
            "without --force. If the copy is interrupted, run the same command again: "
            "it resumes at the table that was cut short. Until a copy has verified, "
            "`dartwatch run` refuses to start on the target.\n\n"
            "Stop the daemon first, so nothing changes in the source while it is read. "
            "Then point DATABASE_URL at the target.",
            "dartwatch db copy --to postgresql://dartwatch@127.0.0.1:5432/dartwatch",
            "DATABASE_URL=postgresql://dartwatch@/dartwatch "
            "dartwatch db copy --to sqlite:///backup.db --force",
        ),
    )
    c.add_argument("--to", required=True, metavar="URL", help="the target database URL")
    c.add_argument("--force", action="store_true", help="replace what the target holds")
    c.add_argument("--batch-size", type=int, default=5000, metavar="N", help="rows per transaction")
    c.set_defaults(handler="monitor.commands.db:copy")


async def upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import head_revision, upgrade

    await upgrade(settings.database_url)
    print(f"database at revision {head_revision()}")
    return 0


def current(args: argparse.Namespace, settings: Settings) -> int:
    from storage.migrate import current_revision_sync, head_revision

    rev = current_revision_sync(settings.database_url)
    print(f"current: {rev or 'empty'} (head: {head_revision()})")
    return 0


def copy(args: argparse.Namespace, settings: Settings) -> int:
    import sys
    import time

    from monitor.core.errors import UsageError
    from storage.copy import CopyError, copy_database, display_url
    from storage.db import DatabaseURLError, validate_url

    try:
        validate_url(args.to)
    except DatabaseURLError as exc:
        raise UsageError(f"--to: {exc}") from None
    if not 1 <= args.batch_size <= 100_000:
        raise UsageError("--batch-size must be between 1 and 100000")
    tty = sys.stderr.isatty()
    shown: dict[str, float] = {}

    def progress(table: str, done: int, total: int) -> None:
        line = f"  {table:<18} {done:>10,} / {total:,}"
        if tty:
            end = "\n" if done >= total else ""
            print(f"\r{line}", end=end, file=sys.stderr, flush=True)
        elif (done >= total or time.monotonic() - shown.get(table, 0.0) >= 5) and (
            done or not total
        ):
            shown[table] = time.monotonic()
            print(line, file=sys.stderr, flush=True)

    print(f"copying {display_url(settings.database_url)} -> {display_url(args.to)}")
    try:
        report = copy_database(
            settings.database_url,
            args.to,
            force=args.force,
            batch=args.batch_size,
            progress=progress,
        )
    except CopyError as exc:
        raise UsageError(str(exc)) from None
    if report.resumed:
        print(f"resumed: {', '.join(report.resumed)} were already copied")
    for t in report.tables:
        mark = "ok" if t.ok else "MISMATCH"
        print(f"  {mark:<8} {t.name:<18} {t.rows:>10,} rows  checksum {t.source_checksum[:12]}")
        if not t.ok:
            print(
                f"           target has {t.target_rows:,} rows, checksum {t.target_checksum[:12]}"
            )
    if not report.ok:
        print("verification FAILED: the target stays marked unfinished; run the copy again")
        return 1
    print(
        f"copied {report.rows:,} rows in {report.seconds:.1f} s; counts and checksums match. "
        f"Next: set DATABASE_URL={display_url(args.to)} and restart dartwatch."
    )
    return 0

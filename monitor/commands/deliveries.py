"""``dartwatch deliveries``: the outbox — pending, dead letters, requeue."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help
from storage.states import DeliveryStatus

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "deliveries",
        help="the delivery outbox: counts, --failed dead letters, --retry",
        **command_help(
            "Every alert and digest goes through the delivery outbox. Without options: "
            "counts by state. --failed lists dead letters (with the last error), --retry "
            "requeues them.",
            "dartwatch deliveries",
            "dartwatch deliveries --failed --limit 20",
            "dartwatch deliveries --retry --id 42",
        ),
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--failed", action="store_true", help="list dead-lettered deliveries")
    group.add_argument("--pending", action="store_true", help="list deliveries waiting to be sent")
    group.add_argument(
        "--retry", action="store_true", help="requeue dead-lettered deliveries (all, or --id)"
    )
    p.add_argument("--id", type=int, action="append", default=[], help="only this delivery id")
    p.add_argument("--limit", type=int, default=50, help="rows to list (default 50)")
    p.add_argument("--format", choices=["table", "json"], default="table")
    p.set_defaults(handler="monitor.commands.deliveries:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    import json

    from monitor.delivery.dispatcher import describe
    from storage import outbox
    from storage.migrate import prepare_database

    db = await prepare_database(settings.database_url)
    try:
        if args.retry:
            n = await outbox.requeue_failed(db, args.id or None)
            print(f"requeued {n} dead-lettered deliveries; the dispatcher sends them next")
            return 0
        if args.failed or args.pending:
            statuses = (
                [DeliveryStatus.DEAD]
                if args.failed
                else [DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.HELD]
            )
            rows = await outbox.list_by_status(db, statuses, limit=args.limit)
            if args.id:
                rows = [r for r in rows if r.id in set(args.id)]
            items = [describe(r) for r in rows]
            if args.format == "json":
                print(json.dumps(items, ensure_ascii=False, indent=2))
                return 0
            if not items:
                print("no dead-lettered deliveries" if args.failed else "nothing pending")
                return 0
            for it in items:
                print(
                    f"#{it['id']:<6} {it['kind']:<9} {it['ref']:<24} {it['notifier']:<9} "
                    f"{it['destination']:<14} attempts={it['attempts']} {it['last_error'][:80]}"
                )
            return 0
        counts = await outbox.counts(db)
        if args.format == "json":
            print(json.dumps(counts))
        else:
            order = list(DeliveryStatus)
            print("  ".join(f"{k}={counts.get(k, 0)}" for k in order))
        return 0
    finally:
        await db.dispose()

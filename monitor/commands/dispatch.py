"""``dartwatch dispatch``: run only the delivery dispatcher (extra senders, or flushing
the outbox by hand)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
from datetime import timedelta
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help
from storage.states import DeliveryStatus

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "dispatch",
        help="send queued deliveries (until empty with --until-empty)",
        **command_help(
            "Send what the outbox holds through the configured notifiers, without "
            "polling. `dartwatch run` already dispatches; use this to drain the outbox "
            "after an outage, or as an extra sender beside the daemon.",
            "dartwatch dispatch --until-empty",
            "dartwatch dispatch",
        ),
    )
    p.add_argument(
        "--until-empty", action="store_true", help="exit once nothing is due (default: run on)"
    )
    p.add_argument(
        "--lease",
        type=float,
        default=120.0,
        help="seconds after which a dead dispatcher's claims are taken back "
        "(default DELIVERY_LEASE_SECONDS)",
    )
    p.set_defaults(handler="monitor.commands.dispatch:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.runtime.container import App

    if args.lease is not None and args.lease <= 0:
        from monitor.core.errors import UsageError

        raise UsageError("--lease must be positive")
    app = App(settings, with_dart=False)
    await app.start()
    if args.lease is not None:
        app.dispatcher.lease = timedelta(seconds=args.lease)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    from monitor.core import early_signals

    if early_signals.received():  # SIGTERM while still starting: a clean stop
        stop.set()
    try:
        if args.until_empty:
            from storage import outbox

            # Until nothing is pending or claimed: rows a dead dispatcher still holds
            # come back after the lease, and this run sends them too.
            while not stop.is_set():
                if await app.dispatcher.run_once():
                    continue
                counts = await outbox.counts(app.db)
                if not counts.get(DeliveryStatus.PENDING) and not counts.get(
                    DeliveryStatus.SENDING
                ):
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=0.5)
        else:
            await app.dispatcher.run_forever(stop)
    finally:
        await app.close()
    s = app.dispatcher.stats
    print(f"sent {s.sent}, retried {s.retried}, dead {s.dead}, dropped {s.dropped}")
    return 0

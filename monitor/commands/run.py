"""``dartwatch run``: the daemon (scheduler + dispatcher + Telegram bot)."""

from __future__ import annotations

import argparse
from typing import Any


def register(sub: Any) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run", help="run the daemon: poll, match, alert, digest (SIGTERM/SIGINT to stop)"
    )
    p.set_defaults(handler="monitor.commands.run:run")


async def run(args: argparse.Namespace, settings: Any) -> int:
    from monitor.app import App
    from monitor.daemon import Daemon

    return await Daemon(settings, App(settings)).run()

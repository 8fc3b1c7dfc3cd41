"""``dartwatch run``: the daemon (scheduler + dispatcher + Telegram bot)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "run",
        help="run the daemon: poll, match, alert, digest (SIGTERM/SIGINT to stop)",
        **command_help(
            "The daemon: polls OpenDART (every POLL_INTERVAL_SECONDS in market hours), "
            "matches each new filing to the K-AI timeline, sends alerts through NOTIFIERS, "
            "answers the Telegram bot and sends the daily digest at DIGEST_TIME. Settings "
            "come from the environment and ./.env; run `dartwatch check` first. "
            "SIGTERM or Ctrl-C stops it cleanly.",
            "dartwatch check && dartwatch run",
            "LOG_FORMAT=json METRICS_PORT=9108 dartwatch run",
        ),
    )
    p.set_defaults(handler="monitor.commands.run:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.runtime.container import App
    from monitor.runtime.daemon import Daemon

    return await Daemon(settings, App(settings)).run()

"""``dartwatch web``: the read-only web desk (pages, Atom feeds, JSON) on its own."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from monitor.core.settings import Settings


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "web",
        help="serve the read-only web desk: search, filings, timeline, digests, feeds",
        **command_help(
            "Serve the analyst's desk alone (the daemon serves it too when WEB_LISTEN is "
            "set): today's filings, search over the whole history, filing and company pages, "
            "the K-AI timeline, past digests with downloads, and Atom feeds. Read-only. "
            "Binding to a non-loopback address needs WEB_TOKEN.",
            "dartwatch web",
            "dartwatch web --listen 127.0.0.1:8081",
        ),
    )
    p.add_argument(
        "--listen",
        metavar="HOST:PORT",
        help="where to listen (default: WEB_LISTEN, else 127.0.0.1:8080)",
    )
    p.set_defaults(handler="monitor.commands.web:run")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.web.serve import serve_alone

    return await serve_alone(settings, args.listen)

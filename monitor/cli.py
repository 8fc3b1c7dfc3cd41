"""The ``dartwatch`` command line.

Each verb lives in ``monitor/commands/<verb>.py`` with a ``register(subparsers)``
function that declares its arguments and names its handler as a dotted string, so
``dartwatch --help`` imports nothing heavy (start-up target: under 0.5 s).

Exit codes: 0 success, 1 the operation failed, 2 bad configuration or usage,
130 interrupted.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import sys
from collections.abc import Sequence
from typing import Any

from monitor import __version__

# The order here is the order of --help.
COMMAND_MODULES = [
    "demo",
    "init",
    "check",
    "notify",
    "run",
    "poll",
    "backfill",
    "filings",
    "companies",
    "status",
    "timeline",
    "explain",
    "rematch",
    "facts",
    "digest",
    "deliveries",
    "dispatch",
    "web",
    "db",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dartwatch",
        description=(
            "Watch OpenDART filings of the companies behind Korea's K-AI sovereign "
            "foundation-model project, place each on the project's timeline and alert."
        ),
        epilog=(
            "new here? `dartwatch demo`, then `dartwatch init`, `dartwatch check` and "
            "`dartwatch run`. `dartwatch COMMAND --help` shows each command's examples."
        ),
    )
    parser.add_argument("--version", action="version", version=f"dartwatch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"monitor.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"monitor.commands.{name}":
                raise
            continue  # a verb not built yet
        module.register(sub)
    return parser


def _resolve(handler: str) -> Any:
    module_name, _, func = handler.partition(":")
    return getattr(importlib.import_module(module_name), func)


# Long-running verbs: SIGTERM is how they are stopped, so it must be a clean stop
# from the first moment (see monitor.core.early_signals).
_DAEMON_VERBS = frozenset({"run", "dispatch", "web"})


def _verb(argv: Sequence[str]) -> str | None:
    return next((a for a in argv if not a.startswith("-")), None)


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if _verb(args_list) in _DAEMON_VERBS:
        # Installed before anything heavy is imported: a SIGTERM during start-up is
        # remembered and honoured once the daemon handles signals (exit 0, not -15).
        from monitor.core import early_signals

        early_signals.install()
    return _main(args_list)


def _main(args_list: list[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(args_list)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2

    from monitor.core.errors import UserError
    from monitor.core.logs import setup_logging
    from monitor.core.settings import ConfigError, load_settings

    try:
        settings = load_settings()
        setup_logging(settings)
        func = _resolve(handler)
        result = func(args, settings)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        return int(result or 0)
    except ConfigError as exc:
        print(f"dartwatch: configuration error: {exc}", file=sys.stderr)
        return 2
    except UserError as exc:
        print(f"dartwatch: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("dartwatch: interrupted", file=sys.stderr)
        return 130

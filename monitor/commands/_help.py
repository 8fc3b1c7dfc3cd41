"""The description and examples every subcommand's ``--help`` shows.

argparse either re-wraps all free text (losing the layout of examples) or none of it;
so the description is wrapped here, paragraph by paragraph, and the examples are kept
exactly as written, one command a line.
"""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

WIDTH = 78

# What ``parser.add_subparsers()`` returns; each command module's ``register`` adds its
# verb to it. argparse names the class privately; this alias is the one place that does.
Subparsers = argparse._SubParsersAction


def command_help(description: str, *examples: str) -> dict[str, Any]:
    """Keyword arguments for ``add_parser``: a wrapped *description* and an
    ``examples:`` block listing *examples* (each a full command line)."""
    paragraphs = [p.strip() for p in description.strip().split("\n\n")]
    wrapped = "\n\n".join(textwrap.fill(" ".join(p.split()), WIDTH) for p in paragraphs)
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples) if examples else None
    return {
        "description": wrapped,
        "epilog": epilog,
        "formatter_class": argparse.RawDescriptionHelpFormatter,
    }

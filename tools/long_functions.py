"""List the functions longer than a limit (default 80 lines), longest first.

    python -m tools.long_functions [--limit 80] [PATH ...]

Counts ``end_lineno - lineno + 1`` of every function and method (decorators not
included) under the given paths (default: monitor notifiers storage tools). A reader
should not need to scroll through one function; this list is where to split next.
"""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterator
from pathlib import Path

DEFAULT_PATHS = ("monitor", "notifiers", "storage", "tools")


def long_functions(paths: list[Path], limit: int) -> Iterator[tuple[int, str, int, str]]:
    """``(lines, file, first line, name)`` of each function over *limit* lines."""
    for root in paths:
        files = [root] if root.is_file() else sorted(root.rglob("*.py"))
        for path in files:
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > limit:
                        yield lines, str(path), node.lineno, node.name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path)
    parser.add_argument("--limit", type=int, default=80)
    args = parser.parse_args()
    paths = args.paths or [Path(p) for p in DEFAULT_PATHS]
    found = sorted(long_functions(paths, args.limit), key=lambda f: (-f[0], f[1], f[2]))
    for lines, path, line, name in found:
        print(f"{lines:4d}  {path}:{line}  {name}")
    print(f"{len(found)} function(s) over {args.limit} lines")


if __name__ == "__main__":
    main()

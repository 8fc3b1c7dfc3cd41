"""Every subcommand's ``--help`` describes it and shows at least one example, and every
example parses: the help is the operator's first documentation, so it is tested like
code (the urlwatch habit of running the docs' examples)."""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from monitor.cli import build_parser, main


def _subcommands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield (*path, name), sub
                yield from _subcommands(sub, (*path, name))


ALL = sorted(_subcommands(build_parser()), key=lambda item: item[0])


def _examples(parser: argparse.ArgumentParser) -> list[str]:
    epilog = parser.epilog or ""
    _, _, block = epilog.partition("examples:\n")
    return [line.strip() for line in block.splitlines() if line.strip()]


def test_the_walk_finds_every_verb() -> None:
    names = {path[0] for path, _ in ALL}
    assert {"demo", "init", "check", "notify", "run", "db", "status"} <= names


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_help_has_a_description_and_an_example(
    path: tuple[str, ...], parser: argparse.ArgumentParser, capsys: pytest.CaptureFixture[str]
) -> None:
    assert parser.description and len(parser.description) > 40, path
    examples = _examples(parser)
    assert examples, f"`dartwatch {' '.join(path)} --help` shows no example"
    with pytest.raises(SystemExit) as stopped:
        main([*path, "--help"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    assert parser.description.split()[0] in out and "examples:" in out


@pytest.mark.parametrize(("path", "parser"), ALL, ids=[" ".join(p) for p, _ in ALL])
def test_every_example_parses(path: tuple[str, ...], parser: argparse.ArgumentParser) -> None:
    for example in _examples(parser):
        for command in example.split("&&"):
            words = shlex.split(command)
            while "=" in words[0]:  # leading VAR=value assignments
                words.pop(0)
            assert words[0] == "dartwatch", example
            args = build_parser().parse_args(words[1:])
            assert getattr(args, "handler", None), example


OPERATIONS = Path(__file__).resolve().parents[1] / "docs" / "operations.md"


def test_every_command_in_the_operations_guide_parses() -> None:
    """docs/operations.md shows commands with their output; each dartwatch command
    there must still be one the CLI accepts."""
    found = 0
    for line in OPERATIONS.read_text(encoding="utf-8").splitlines():
        if not line.startswith("$ ") or "dartwatch " not in line or "|" in line:
            continue
        words = shlex.split(line[2:])
        start = next(i for i, w in enumerate(words) if "=" not in w)  # after VAR=value
        program = words[start]
        if program != "dartwatch" and not program.endswith("/dartwatch"):
            continue  # another program (git, psql, sed)
        args = build_parser().parse_args(words[start + 1 :])
        assert getattr(args, "handler", None), line
        found += 1
    assert found >= 8


def test_help_imports_no_database_or_http_library() -> None:
    """``dartwatch --help`` stays quick (target < 0.5 s, measured in
    benchmarks.startup) by building every verb's parser without the heavy libraries: a
    verb that imported the table models for its choices once cost 0.35 s each start."""
    code = (
        "import sys; from monitor.cli import build_parser; build_parser(); "
        "print(' '.join(sorted(m for m in ('sqlalchemy', 'sqlmodel', 'httpx', 'telegram', "
        "'lxml', 'apscheduler') if m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""

"""The README and docs/ are tested like code: the README's two commands are the ones CI
runs, every relative link (and its #anchor) resolves, every `dartwatch` command line shown
parses, and the README stays a first page (details live in docs/)."""

from __future__ import annotations

import re
import shlex
import unicodedata
from pathlib import Path

import pytest

from benchmarks.report import MARKER, document
from monitor.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
READMES = [ROOT / "README.md", ROOT / "README.ko.md"]
PAGES = [*READMES, *sorted((ROOT / "docs").glob("*.md"))]
TWO_COMMANDS = ["bash scripts/demo.sh", "bash scripts/test.sh"]

FENCE = re.compile(r"^(```|~~~).*?^\1[ \t]*$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\]]*\])*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def _prose(text: str) -> str:
    """The text outside fenced code blocks and inline code, where links are links."""
    text = FENCE.sub("", text)
    return re.sub(r"`[^`\n]*`", "", text)


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as '-'."""
    text = re.sub(r"`|\*\*|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in ("L", "N", "M"))
    return kept.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    slugs: set[str] = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE):
        slug, n = _slug(heading), 1
        while slug in slugs:  # GitHub numbers repeated headings: x, x-1, x-2
            slug = f"{_slug(heading)}-{n}"
            n += 1
        slugs.add(slug)
    return slugs


def _two_commands(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", text, flags=re.DOTALL)
    block = next(b for b in blocks if "scripts/demo.sh" in b)
    return [line for line in block.splitlines() if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_the_readme_shows_the_two_commands_ci_runs(readme: Path) -> None:
    assert _two_commands(readme) == TWO_COMMANDS
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [line.strip() for line in ci.splitlines() if line.startswith("bash scripts/")]
    assert ci_commands == TWO_COMMANDS
    for command in TWO_COMMANDS:
        assert (ROOT / command.split()[1]).is_file(), command


def test_the_english_command_block_is_unchanged() -> None:
    """CI and the scripts refer to "README command 1" and "command 2" by these lines."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert (
        "# 1. set up and watch a replayed day of filings — no key, no network\n"
        "bash scripts/demo.sh\n\n"
        "# 2. set up and run every check: ruff, mypy --strict and the whole test suite\n"
        "bash scripts/test.sh\n"
    ) in text


@pytest.mark.parametrize("readme", READMES, ids=lambda p: p.name)
def test_the_readme_is_a_first_page(readme: Path) -> None:
    lines = readme.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 250, f"{readme.name}: {len(lines)} lines; details belong in docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    broken = []
    for target in LINK.findall(_prose(page.read_text(encoding="utf-8"))):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto:, file:
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists():
            broken.append(f"{target}: no such file")
            continue
        if anchor and resolved.suffix == ".md" and anchor not in _anchors(resolved):
            broken.append(f"{target}: no heading with anchor #{anchor}")
    assert not broken, f"{page.relative_to(ROOT)}: " + "; ".join(broken)


def _command_lines(text: str) -> list[str]:
    """`dartwatch …` lines of the fenced blocks (after `.venv/bin/`), comments cut; in a
    console session only the typed lines (`$ …`), not the output."""
    lines = []
    for language, block in re.findall(r"```(\w*)[^\n]*\n(.*?)```", text, flags=re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            if language == "console" and not line.startswith("$ "):
                continue
            line = line.removeprefix("$ ").strip()
            line = re.sub(r"^(\S*/)?dartwatch ", "dartwatch ", line)
            if line.startswith("dartwatch "):
                lines.append(line.split(" #")[0].split(" | ")[0])
    return lines


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_line_shown_parses(page: Path) -> None:
    parser = build_parser()
    for line in _command_lines(page.read_text(encoding="utf-8")):
        if "<" in line and ">" in line:  # a template such as --team lg=<advanced|eliminated>
            continue
        args = parser.parse_args(shlex.split(line)[1:])
        assert getattr(args, "handler", None), f"{page.name}: {line}"


def test_the_docs_show_commands_of_every_kind() -> None:
    shown = {
        line.split()[1]
        for page in PAGES
        for line in _command_lines(page.read_text(encoding="utf-8"))
    }
    assert {"poll", "backfill", "timeline", "explain", "rematch", "digest", "run"} <= shown


def test_benchmark_report_keeps_the_hand_written_part_of_its_page() -> None:
    page = f"# Benchmarks\n\nHow to run them.\n\n{MARKER}\n\nold table\n"
    rewritten = document(page, "new table\n")
    assert rewritten == f"# Benchmarks\n\nHow to run them.\n\n{MARKER}\n\nnew table\n"
    assert document("", "t\n") == f"# Benchmarks\n\n{MARKER}\n\nt\n"
    current = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert MARKER in current and "--only NAME" in current.split(MARKER)[0]

"""Writing outcomes into the operator's timeline file (``TIMELINE_FILE``).

``dartwatch timeline record`` appends a ``[[records]]`` table; ``timeline unrecord``
removes it again. The file is edited as text, not re-serialised, so the operator's own
comments and layout survive; every change is validated by loading the result merged
over the bundled timeline (and the cached TIMELINE_URL copy) before it replaces the
file (atomically, via a temporary file in the same directory). A record for a
milestone that already has one replaces it.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from monitor.kai.timeline import Timeline, TimelineError, load_timeline
from monitor.kai.timeline.model import RECORD_RESULTS

_HEADER = re.compile(r"^\s*\[")
_NEW_FILE = """\
# Local additions to the bundled K-AI timeline (setting TIMELINE_FILE).
# Entries here replace bundled ones with the same id; [[records]] attach outcomes.
# See docs/timeline.md.

schema = 1
"""


class RecordError(Exception):
    """A record cannot be written; the message is one line, or ``errors`` lists them."""

    def __init__(self, message: str, errors: list[str] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []


@dataclass(frozen=True, slots=True)
class NewRecord:
    milestone: str
    day: date
    outcome_ko: str
    outcome_en: str
    teams: tuple[tuple[str, str], ...]
    sources: tuple[str, ...]


def parse_team_results(values: list[str]) -> tuple[tuple[str, str], ...]:
    """``["lg=advanced", "skt=eliminated"]`` → pairs; raises :class:`RecordError`."""
    out: dict[str, str] = {}
    for value in values:
        team, sep, result = value.partition("=")
        team, result = team.strip(), result.strip()
        if not sep or not team or result not in RECORD_RESULTS:
            raise RecordError(f"--team: expected TEAM=advanced or TEAM=eliminated, got {value!r}")
        if team in out:
            raise RecordError(f"--team: team {team!r} given twice")
        out[team] = result
    return tuple(out.items())


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are all valid TOML escapes)."""
    return json.dumps(text, ensure_ascii=False)


def record_block(record: NewRecord, recorded_at: str) -> str:
    teams = ", ".join(f"{_q(team)} = {_q(result)}" for team, result in record.teams)
    lines = [
        "[[records]]",
        f"milestone = {_q(record.milestone)}",
        f"date = {_q(record.day.isoformat())}",
        f"outcome_ko = {_q(record.outcome_ko)}",
        f"outcome_en = {_q(record.outcome_en)}",
        f"teams = {{ {teams} }}" if teams else "teams = {}",
        f"sources = [{', '.join(_q(s) for s in record.sources)}]",
        f"recorded_at = {_q(recorded_at)}",
    ]
    return "\n".join(lines) + "\n"


def _blocks(text: str) -> list[str]:
    """The text cut before every table header (the first block is the preamble)."""
    blocks: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if _HEADER.match(line) and current:
            blocks.append("".join(current))
            current = []
        current.append(line)
    if current:
        blocks.append("".join(current))
    return blocks


def _record_milestone(block: str) -> str | None:
    if not block.lstrip().startswith("[[records]]"):
        return None
    try:
        data = tomllib.loads(block)
    except tomllib.TOMLDecodeError:
        return None
    records = data.get("records")
    if isinstance(records, list) and records and isinstance(records[0], dict):
        value = records[0].get("milestone")
        return value if isinstance(value, str) else None
    return None


def without_record(text: str, milestone: str) -> tuple[str, bool]:
    """*text* without the ``[[records]]`` table of *milestone*; whether one was found."""
    kept, found = [], False
    for block in _blocks(text):
        if _record_milestone(block) == milestone:
            found = True
            continue
        kept.append(block)
    return "".join(kept), found


def _validated_write(
    path: Path, text: str, *, write: bool = True, remote: Path | None = None
) -> Timeline:
    """Validate *text* as the user file (merged over the bundled timeline), then
    (with *write*) replace *path* with it atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".timeline-", suffix=".toml", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        try:
            timeline = load_timeline(tmp, remote=remote)
        except TimelineError as exc:
            raise RecordError(f"{path}: the record is not valid", exc.errors) from None
        if write:
            os.replace(tmp, path)
        return timeline
    finally:
        tmp.unlink(missing_ok=True)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return _NEW_FILE
    except (OSError, UnicodeDecodeError) as exc:
        raise RecordError(f"{path}: cannot read ({type(exc).__name__})") from None


def add_record(
    path: Path,
    record: NewRecord,
    recorded_at: str,
    *,
    write: bool = True,
    remote: Path | None = None,
) -> Timeline:
    """Write *record* (replacing an earlier one for the same milestone); the merged
    timeline it yields. Creates the file when missing; with ``write=False`` only
    validates."""
    text, _ = without_record(_read(path), record.milestone)
    if not text.endswith("\n"):
        text += "\n"
    text += "\n" + record_block(record, recorded_at)
    return _validated_write(path, text, write=write, remote=remote)


def remove_record(path: Path, milestone: str, *, remote: Path | None = None) -> Timeline:
    """Remove the record of *milestone*; raises :class:`RecordError` when there is none."""
    if not path.exists():
        raise RecordError(f"{path}: no such file, so no record of {milestone!r} to undo")
    text, found = without_record(_read(path), milestone)
    if not found:
        raise RecordError(f"{path}: no record of {milestone!r} to undo")
    return _validated_write(path, text, remote=remote)

"""The digest's fixed texts and chart colours (``labels.toml``), validated on load.

A broken file is a packaging bug or a bad local edit; :class:`LabelsError` names the
file and the entry so it can be fixed without reading code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from notifiers.catalogue import LANGS, CatalogueError, bilingual_entries, read_toml

LABELS_FILE = Path(__file__).with_name("labels.toml")
_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


class LabelsError(CatalogueError):
    """The digest labels file is malformed."""


@dataclass(frozen=True, slots=True)
class ChartStyle:
    palette: tuple[str, ...]
    key_marker: str
    marker: str
    weekend: str


@dataclass(frozen=True, slots=True)
class Labels:
    texts: dict[str, dict[str, str]]  # key -> lang -> text
    chart: ChartStyle

    def for_lang(self, lang: str) -> dict[str, str]:
        return {key: entry[lang] for key, entry in self.texts.items()}


def _colour(path: Path, table: dict[str, Any], key: str) -> str:
    value = table.get(key)
    if not isinstance(value, str) or not _COLOUR_RE.match(value):
        raise LabelsError(f"{path}: chart.{key} must be a colour like #1f6feb, got {value!r}")
    return value


def load_labels(path: Path = LABELS_FILE) -> Labels:
    data = read_toml(path, LabelsError)
    raw = data.get("labels")
    if not isinstance(raw, dict) or not raw:
        raise LabelsError(f"{path}: no [labels.*] entries")
    texts = bilingual_entries(path, raw, section="labels.", error=LabelsError)
    for key in ("weekdays",):
        for lang in LANGS:
            if key in texts and len(texts[key][lang].split(",")) != 7:
                raise LabelsError(f"{path}: [labels.{key}].{lang} needs 7 comma-separated names")
    chart = data.get("chart")
    if not isinstance(chart, dict):
        raise LabelsError(f"{path}: [chart] missing")
    palette = chart.get("palette")
    if not isinstance(palette, list) or not palette:
        raise LabelsError(f"{path}: chart.palette must be a non-empty list of colours")
    for i, colour in enumerate(palette):
        if not isinstance(colour, str) or not _COLOUR_RE.match(colour):
            raise LabelsError(f"{path}: chart.palette[{i}] must be a colour, got {colour!r}")
    style = ChartStyle(
        palette=tuple(palette),
        key_marker=_colour(path, chart, "key_marker"),
        marker=_colour(path, chart, "marker"),
        weekend=_colour(path, chart, "weekend"),
    )
    return Labels(texts=texts, chart=style)


@lru_cache(maxsize=1)
def bundled_labels() -> Labels:
    return load_labels()

"""The timeline's ko/en phrases (``data/ui_text.toml``, table ``timeline``), read and
checked by the project's one catalogue loader (both languages, same placeholders)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from notifiers.catalogue import bilingual_entries, read_toml

_UI_FILE = Path(__file__).resolve().parents[2] / "data" / "ui_text.toml"


@lru_cache(maxsize=1)
def _ui() -> dict[str, dict[str, str]]:
    return bilingual_entries(_UI_FILE, read_toml(_UI_FILE)["timeline"], section="timeline.")


def ui_text(key: str, lang: str) -> str:
    entry = _ui()[key]
    return entry["ko"] if lang == "ko" else entry["en"]

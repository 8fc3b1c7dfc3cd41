"""The timeline's ko/en phrases (``data/ui_text.toml``, table ``timeline``)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

_UI_FILE = Path(__file__).resolve().parents[2] / "data" / "ui_text.toml"


@lru_cache(maxsize=1)
def _ui() -> dict[str, dict[str, str]]:
    with _UI_FILE.open("rb") as fh:
        data = tomllib.load(fh)
    return {key: dict(value) for key, value in data["timeline"].items()}


def ui_text(key: str, lang: str) -> str:
    entry = _ui()[key]
    return entry["ko"] if lang == "ko" else entry["en"]

"""The desk's fixed texts (``texts.toml``), Korean and English side by side."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Any

LANGS = ("ko", "en")


@lru_cache(maxsize=1)
def _table() -> dict[str, dict[str, dict[str, str]]]:
    with (Path(__file__).with_name("texts.toml")).open("rb") as fh:
        data: dict[str, dict[str, dict[str, str]]] = tomllib.load(fh)
    return data


class Texts:
    """``t("search.title")`` in one language; ``t("x.y", n=3)`` fills placeholders."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGS else "ko"

    def __call__(self, key: str, **values: Any) -> str:
        group, _, name = key.partition(".")
        entry = _table()[group][name]
        text = entry[self.lang]
        return text.format(**values) if values else text


@lru_cache(maxsize=1)
def categories() -> tuple[tuple[str, str, str], ...]:
    """``(id, ko, en)`` of every category the matcher assigns, in its order."""
    path = Path(__file__).parent.parent / "data" / "categories.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return tuple((str(c["id"]), str(c["ko"]), str(c["en"])) for c in data.get("categories", []))


@lru_cache(maxsize=1)
def amendment_prefixes() -> tuple[str, ...]:
    """The bracketed prefixes OpenDART puts before an amended title (``기재정정``...)."""
    path = Path(__file__).parent.parent / "data" / "categories.toml"
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return tuple(str(k) for k in data.get("prefixes", {}))

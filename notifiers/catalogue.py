"""The one loader of the project's ko/en text catalogues.

Every fixed text a user reads exists in Korean and English. The catalogues (the alert
labels, the digest's labels, the bot's texts, the timeline view's texts) are TOML data
files checked on load the same way: both languages present and non-empty, no third
language, and the same ``{placeholders}`` in both, so a text can never be formatted in
one language and fail in the other. Errors are one line naming the file and the entry.
"""

from __future__ import annotations

import string
import tomllib
from pathlib import Path
from typing import Any

LANGS = ("ko", "en")


class CatalogueError(ValueError):
    """A catalogue file is unreadable or malformed; the message names file and entry."""


def placeholders(text: str) -> set[str]:
    """The ``{names}`` in *text*; ``{name|은/는}`` (a Korean particle after a value)
    counts as ``name``, so the English text needs only ``{name}``."""
    return {name.split("|")[0] for _, name, _, _ in string.Formatter().parse(text) if name}


def read_toml(path: Path, error: type[CatalogueError] = CatalogueError) -> dict[str, Any]:
    """The file's TOML, or *error* with the file and the parser's one-line reason."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise error(f"{path}: {exc}") from None


def bilingual_entries(
    path: Path,
    table: dict[str, Any],
    *,
    section: str = "",
    error: type[CatalogueError] = CatalogueError,
) -> dict[str, dict[str, str]]:
    """Entries shaped ``key = { ko = "...", en = "..." }``, checked: key -> lang -> text.
    *section* prefixes the entry's name in messages (``labels.`` for ``[labels.x]``)."""
    entries: dict[str, dict[str, str]] = {}
    for key, entry in table.items():
        where = f"[{section}{key}]"
        if not isinstance(entry, dict):
            raise error(f"{path}: {where} must be a table with ko and en")
        extra = set(entry) - set(LANGS)
        if extra:
            raise error(f"{path}: {where} has unknown languages {sorted(extra)}")
        texts: dict[str, str] = {}
        for lang in LANGS:
            text = entry.get(lang)
            if not isinstance(text, str) or not text.strip():
                raise error(f"{path}: {where} has no {lang} text")
            texts[lang] = text
        if placeholders(texts["ko"]) != placeholders(texts["en"]):
            raise error(f"{path}: {where} ko and en use different {{placeholders}}")
        entries[str(key)] = texts
    return entries

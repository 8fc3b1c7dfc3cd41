"""The bot's texts, loaded from ``notifiers/data/telegram_texts.toml`` and validated.

Texts are Telegram HTML written by us; values put into them come from users and
OpenDART, so :func:`t` escapes every one of them.
"""

from __future__ import annotations

import html
import string
from functools import lru_cache
from pathlib import Path
from typing import Any

from notifiers.catalogue import LANGS, CatalogueError, placeholders, read_toml
from notifiers.korean import PAIRS, particle

TEXTS_FILE = Path(__file__).resolve().parent / "data" / "telegram_texts.toml"
LANGUAGES = LANGS
DEFAULT_LANGUAGE = "ko"


class TextsError(CatalogueError):
    """The texts file is missing a key, a language or a placeholder."""


def _particle_fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f and "|" in f}


def _with_particles(template: str, values: dict[str, str]) -> dict[str, str]:
    """Add the value of every ``{name|은/는}`` placeholder: the particle alone, chosen by
    the final consonant of *values[name]* (the name itself is written as ``{name}``)."""
    out = dict(values)
    for _, field, _, _ in string.Formatter().parse(template):
        if field and "|" in field:
            name, pair = field.split("|", 1)
            out[field] = particle(html.unescape(values.get(name, "")), pair)
    return out


def validate(raw: dict[str, Any], source: str = "telegram_texts.toml") -> dict[str, dict[str, Any]]:
    """Check both languages carry the same keys with the same placeholders."""
    problems: list[str] = []
    for lang in LANGUAGES:
        if not isinstance(raw.get(lang), dict):
            raise TextsError(f"{source}: missing table [{lang}]")
    ko, en = raw["ko"], raw["en"]
    for key in sorted(set(ko) ^ set(en)):
        missing = "en" if key in ko else "ko"
        problems.append(f"[{missing}].{key} is missing")
    for key in sorted(set(ko) & set(en)):
        a, b = ko[key], en[key]
        if isinstance(a, dict) and isinstance(b, dict):
            for sub in sorted(set(a) ^ set(b)):
                problems.append(f"[{'en' if sub in a else 'ko'}.{key}].{sub} is missing")
        elif isinstance(a, str) and isinstance(b, str):
            for field in _particle_fields(a) | _particle_fields(b):
                if field.split("|", 1)[1] not in PAIRS:
                    problems.append(f"{key}: unknown particle in {{{field}}}")
            ko_names, en_names = sorted(placeholders(a)), sorted(placeholders(b))
            if ko_names != en_names:
                problems.append(f"{key}: placeholders differ (ko {ko_names}, en {en_names})")
        else:
            problems.append(f"{key}: must be a string (or a table) in both languages")
    if problems:
        raise TextsError(f"{source}: " + "; ".join(problems))
    return {"ko": ko, "en": en}


@lru_cache(maxsize=1)
def _texts() -> dict[str, dict[str, Any]]:
    return validate(read_toml(TEXTS_FILE, TextsError), TEXTS_FILE.name)


def normalize_language(code: str | None) -> str:
    """Telegram's ``language_code`` (``en-US``...) to one of ours; Korean by default."""
    if code and code.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE


def t(lang: str, key: str, /, **values: object) -> str:
    """The text *key* in *lang*, with *values* HTML-escaped into it."""
    table = _texts()["en" if lang == "en" else "ko"]
    template = table[key]
    if not isinstance(template, str):
        raise KeyError(key)
    if not values:
        return template
    escaped = {k: html.escape(str(v)) for k, v in values.items()}
    return template.format(**_with_particles(template, escaped))


def raw(lang: str, key: str, /, **values: str) -> str:
    """Like :func:`t` for values that are already HTML (built from escaped parts)."""
    template = str(_texts()["en" if lang == "en" else "ko"][key])
    return template.format(**_with_particles(template, values)) if values else template


def command_descriptions(lang: str) -> dict[str, str]:
    table = _texts()["en" if lang == "en" else "ko"].get("commands", {})
    return {str(k): str(v) for k, v in table.items()}

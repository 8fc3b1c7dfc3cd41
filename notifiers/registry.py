"""Find notifiers by name through the ``dartwatch.notifiers`` entry-point group.

Built-ins are registered in our own ``pyproject.toml`` exactly as a third-party
package registers its plugin, so there is one way in::

    [project.entry-points."dartwatch.notifiers"]
    ntfy = "dartwatch_ntfy:NtfyNotifier"

A notifier class is built with its settings block (``settings_model`` read from the
environment and ``.env``) as the only argument, or with no argument when it has none.
Every configuration problem surfaces as :class:`NotifierConfigError` with a one-line
message naming the setting, at start, before anything is sent.
"""

from __future__ import annotations

import importlib
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

from pydantic import ValidationError

from notifiers.base import Notifier, NotifierConfigError, NotifierSettings

GROUP = "dartwatch.notifiers"


class UnknownNotifier(NotifierConfigError):
    """NOTIFIERS names a notifier no installed package provides."""


def _entry_points() -> dict[str, EntryPoint]:
    # A name registered twice (a plugin shadowing a built-in) resolves to the first
    # distribution on sys.path, as importlib.metadata orders them.
    found: dict[str, EntryPoint] = {}
    for ep in entry_points(group=GROUP):
        found.setdefault(ep.name.lower(), ep)
    return found


def refresh() -> None:
    """Forget cached package metadata, so plugins installed at run time are seen."""
    importlib.invalidate_caches()


def available() -> list[str]:
    """Names of every installed notifier, sorted."""
    return sorted(_entry_points())


def notifier_class(name: str) -> type[Notifier]:
    """The class registered under *name*; :class:`UnknownNotifier` if there is none."""
    key = name.strip().lower()
    found = _entry_points()
    ep = found.get(key)
    if ep is None:
        names = ", ".join(sorted(found)) or "none installed"
        raise UnknownNotifier(f"NOTIFIERS: unknown notifier {name!r}; available: {names}")
    try:
        cls = ep.load()
    except Exception as exc:  # a broken plugin must not become a traceback at start
        raise NotifierConfigError(
            f"NOTIFIERS: notifier {key!r} ({ep.value}) failed to load: {type(exc).__name__}: {exc}"
        ) from None
    if not (isinstance(cls, type) and issubclass(cls, Notifier)):
        raise NotifierConfigError(
            f"NOTIFIERS: {ep.value} (registered as {key!r}) is not a notifiers.base.Notifier"
        )
    return cls


def env_name(model: type[NotifierSettings], field: str) -> str:
    """The environment variable that sets *field* (a field name or its alias) of *model*."""
    prefix = str(model.model_config.get("env_prefix", ""))
    for name, info in model.model_fields.items():
        if field in (name, info.alias):
            return info.alias.upper() if isinstance(info.alias, str) else f"{prefix}{name}".upper()
    return f"{prefix}{field}".upper()


def _describe(exc: ValidationError, model: type[NotifierSettings], notifier: str) -> str:
    parts = []
    for err in exc.errors():
        loc = err.get("loc") or ()
        name = env_name(model, str(loc[0])) if loc else ""
        if err.get("type") == "missing":
            message = f"not set (the {notifier} notifier needs it)"
        else:
            # Only pydantic's message: it never carries the input value, which may be
            # a secret.
            message = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        parts.append(f"{name}: {message}" if name else message)
    return "; ".join(parts)


def load_settings(
    cls: type[Notifier], env_file: str | Path | None = ".env"
) -> NotifierSettings | None:
    """Read the settings block of *cls* from the environment and *env_file*."""
    model = cls.settings_model
    if model is None:
        return None
    try:
        # pydantic-settings' documented per-instance override of the .env path.
        return model(_env_file=env_file)
    except ValidationError as exc:
        raise NotifierConfigError(_describe(exc, model, cls.name or model.__name__)) from None


def load_notifier(name: str, env_file: str | Path | None = ".env") -> Notifier:
    """Build one notifier; its ``name`` is the name it was registered (and asked) under,
    which is what outbox rows record."""
    key = name.strip().lower()
    cls = notifier_class(key)
    settings = load_settings(cls, env_file)
    try:
        notifier = cls(settings) if settings is not None else cls()  # type: ignore[call-arg]
        if notifier.name != key:
            # Registered under another name than the class says: the entry point wins.
            setattr(notifier, "name", key)  # noqa: B010 (a ClassVar shadowed on purpose)
        return notifier
    except NotifierConfigError:
        raise
    except ValidationError as exc:  # a notifier that re-reads settings itself
        raise NotifierConfigError(
            _describe(exc, cls.settings_model or NotifierSettings, name)
        ) from None
    except Exception as exc:
        raise NotifierConfigError(
            f"NOTIFIERS: notifier {name!r} could not start: {type(exc).__name__}: {exc}"
        ) from None


def load_notifiers(names: list[str], env_file: str | Path | None = ".env") -> list[Notifier]:
    """Build the notifiers *names* (``NOTIFIERS``), in order, each name once.

    Raises :class:`NotifierConfigError` (or its subclass :class:`UnknownNotifier`) on
    the first problem; the message is one line and names the setting.
    """
    seen: set[str] = set()
    notifiers: list[Notifier] = []
    for raw in names:
        name = raw.strip().lower()
        if not name or name in seen:
            continue
        seen.add(name)
        notifiers.append(load_notifier(name, env_file))
    return notifiers


def load_notifier_map(
    names: list[str], env_file: str | Path | None = ".env"
) -> dict[str, Notifier]:
    """:func:`load_notifiers` keyed by name, the shape the dispatcher takes."""
    return {n.name: n for n in load_notifiers(names, env_file)}

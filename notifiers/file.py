"""The file notifier: alerts as JSON Lines and digests as files, one set per KST day.

- ``alerts-YYYY-MM-DD.jsonl``: one JSON object per alert (and per administrative
  text), appended. A line is written with a single ``write`` on an ``O_APPEND``
  descriptor and fsynced before the send counts as done; if a crash left a torn last
  line, the next write starts on a fresh line so every complete line stays parseable.
- ``digest-YYYY-MM-DD.{html,md,json,txt}`` (and the digest's attachments as
  ``digest-YYYY-MM-DD-<name>``): each written to a temporary file and renamed into
  place, so a reader never sees half a digest.

Days are Korean (UTC+9, no daylight saving), like OpenDART's business days.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from notifiers.atomic import write_atomic
from notifiers.base import (
    KST,
    Alert,
    DigestMessage,
    Notifier,
    NotifierConfigError,
    NotifierSettings,
    PermanentError,
    TransientError,
)

_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")


class FileSettings(NotifierSettings):
    """``FILE_NOTIFIER_*`` settings."""

    model_config = SettingsConfigDict(env_prefix="FILE_NOTIFIER_")

    #: the folder alerts and digests are written to (created if missing)
    dir: Path = Field()


def kst_day(moment: datetime) -> str:
    return moment.astimezone(KST).strftime("%Y-%m-%d")


def _classify(exc: OSError, path: Path) -> TransientError | PermanentError:
    message = f"file notifier: cannot write {path.name}: {exc.strerror or type(exc).__name__}"
    if isinstance(exc, PermissionError | NotADirectoryError | IsADirectoryError):
        return PermanentError(message)
    return TransientError(message)  # disk full, I/O error: may pass


class FileNotifier(Notifier):
    name: ClassVar[str] = "file"
    settings_model: ClassVar[type[NotifierSettings] | None] = FileSettings
    rate_per_second: ClassVar[float | None] = None
    per_destination_interval: ClassVar[float] = 0.0
    max_message_chars: ClassVar[int | None] = None

    def __init__(
        self,
        settings: FileSettings | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.settings = settings or FileSettings()
        self.directory = self.settings.dir.expanduser()
        self._clock = clock
        self._lock = asyncio.Lock()
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise NotifierConfigError(
                f"FILE_NOTIFIER_DIR: cannot create {self.directory}: {exc.strerror or exc}"
            ) from None

    def alerts_path(self, moment: datetime | None = None) -> Path:
        return self.directory / f"alerts-{kst_day(moment or self._clock())}.jsonl"

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        await self._append({"kind": "alert", "lang": lang, "alert": alert.to_dict()})

    async def send_text(self, text: str, destination: str) -> None:
        await self._append({"kind": "text", "text": text})

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        stem = f"digest-{digest.date}"
        files = {
            f"{stem}.html": digest.html,
            f"{stem}.md": digest.markdown,
            f"{stem}.json": digest.json,
            f"{stem}.txt": digest.text,
        }
        for name, content in digest.attachments.items():
            safe = _SAFE_NAME.sub("_", Path(name).name).strip("._") or "attachment"
            files[f"{stem}-{safe}"] = content
        async with self._lock:
            for name, content in files.items():
                await asyncio.to_thread(self._replace, self.directory / name, content)

    async def health(self) -> str:
        if not os.access(self.directory, os.W_OK):
            raise PermanentError(f"file notifier: {self.directory} is not writable")
        return f"ok ({self.directory})"

    async def _append(self, record: dict[str, Any]) -> None:
        now = self._clock()
        record = {"written_at": now.astimezone(KST).isoformat(timespec="seconds"), **record}
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"
        path = self.alerts_path(now)
        async with self._lock:
            await asyncio.to_thread(self._append_line, path, line.encode("utf-8"))

    @staticmethod
    def _append_line(path: Path, data: bytes) -> None:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size:
                    with open(path, "rb") as f:
                        f.seek(size - 1)
                        if f.read(1) != b"\n":
                            data = b"\n" + data  # a crash tore the last line
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise _classify(exc, path) from None

    @staticmethod
    def _replace(path: Path, content: str) -> None:
        try:
            write_atomic(path, content, mode=0o644)  # like the alert files, not 0600
        except OSError as exc:
            raise _classify(exc, path) from None

"""The Apprise notifier: any service Apprise speaks (Slack, Discord, Teams, ntfy,
Pushover, mail, …) by Apprise URL.

Each URL in ``APPRISE_URLS`` is its own destination, so a failure at one service is
retried there alone and never re-sends to the services that already got the message.
Destinations are named ``<scheme>-<12 hex of the URL's SHA-256>``: stable while the
URL is unchanged, and free of the tokens Apprise URLs carry (outbox rows and logs
show the name, never the URL). Apprise reports only success or failure, so every
failure is treated as transient.
"""

from __future__ import annotations

import hashlib
import re
from typing import Annotated, Any, ClassVar, Literal

import apprise
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from notifiers.base import (
    Alert,
    DestinationGone,
    DigestMessage,
    Notifier,
    NotifierConfigError,
    NotifierSettings,
    TransientError,
)
from notifiers.formatting import alert_markdown, alert_subject

_SPLIT = re.compile(r"[,\s]+")


class AppriseSettings(NotifierSettings):
    """``APPRISE_*`` settings."""

    model_config = SettingsConfigDict(env_prefix="APPRISE_")

    #: Apprise URLs separated by commas or spaces (each one is a secret)
    urls: Annotated[list[SecretStr], NoDecode]
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    lang: Literal["ko", "en"] | None = None

    @field_validator("urls", mode="before")
    @classmethod
    def _split(cls, value: Any) -> Any:
        if isinstance(value, str | SecretStr):
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            value = [part for part in _SPLIT.split(raw) if part]
        if isinstance(value, list) and not value:
            raise ValueError("needs at least one Apprise URL")
        return value


def destination_name(url: str) -> str:
    scheme = url.partition("://")[0].lower() or "url"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:12]
    return f"{re.sub(r'[^a-z0-9+]', '', scheme)}-{digest}"


class AppriseNotifier(Notifier):
    name: ClassVar[str] = "apprise"
    settings_model: ClassVar[type[NotifierSettings] | None] = AppriseSettings
    rate_per_second: ClassVar[float | None] = 2.0
    per_destination_interval: ClassVar[float] = 1.0
    #: most services cut far below Apprise's own 32 KiB; Discord's 2,000 is common
    max_message_chars: ClassVar[int | None] = 2000

    def __init__(self, settings: AppriseSettings | None = None) -> None:
        self.settings = settings or AppriseSettings()
        self._services: dict[str, apprise.Apprise] = {}
        for number, secret in enumerate(self.settings.urls, start=1):
            url = secret.get_secret_value()
            service = apprise.Apprise()
            if not service.add(url):
                scheme = url.partition("://")[0] or "?"
                raise NotifierConfigError(
                    f"APPRISE_URLS: entry {number} (scheme {scheme!r}) is not a URL "
                    "Apprise understands"
                )
            self._services[destination_name(url)] = service

    def destinations(self) -> list[str]:
        return list(self._services)

    def _service(self, destination: str) -> apprise.Apprise:
        service = self._services.get(destination)
        if service is None:
            raise DestinationGone(f"apprise: {destination} is no longer in APPRISE_URLS")
        return service

    async def _notify(self, destination: str, title: str, body: str) -> None:
        service = self._service(destination)
        try:
            result = await service.async_notify(
                body=body,
                title=title,
                body_format=apprise.NotifyFormat.MARKDOWN,
                timeout=self.settings.timeout_seconds,
            )
        except Exception as exc:  # Apprise's own errors carry no URL, but be sure
            raise TransientError(f"apprise {destination}: {type(exc).__name__}") from None
        if not result:
            status = getattr(getattr(result, "status", None), "name", "FAILURE")
            raise TransientError(f"apprise {destination}: notification failed ({status})")

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        lang = self.settings.lang or lang
        body = alert_markdown(alert, lang, self.max_message_chars)
        await self._notify(destination, alert_subject(alert, lang), body)

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        await self._notify(destination, digest.subject, digest.markdown or digest.text)

    async def send_text(self, text: str, destination: str) -> None:
        await self._notify(destination, "dartwatch", text)

    async def health(self) -> str:
        """Apprise has no reachability check short of sending; report what is loaded."""
        kinds = sorted({name.split("-")[0] for name in self._services})
        return f"ok ({len(self._services)} services: {', '.join(kinds)})"

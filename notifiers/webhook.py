"""The webhook notifier: one JSON POST per message, signed, to one URL.

Modes (``WEBHOOK_MODE``): ``json`` (our own payload, below), ``slack`` (an incoming
webhook's ``text`` + ``blocks``) and ``discord`` (a webhook's ``embeds``).

Signature scheme (when ``WEBHOOK_SECRET`` is set)::

    X-Dartwatch-Timestamp: <unix seconds>
    X-Dartwatch-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>." + body)>

The MAC covers the timestamp and the exact body bytes, so a receiver that checks it
and rejects timestamps older than a few minutes (:func:`verify_signature`, default
300 s) rejects both tampered and replayed requests. Compare in constant time.

Every ``json`` body carries an ``id`` field, inside the signed bytes, that names the
message (``<rcept_no>:<event>`` for alerts, ``digest:<date>`` for digests,
``text:<sha256 of the text>`` for texts); ``X-Dartwatch-Id`` repeats it. A receiver
that remembers the ids it accepted in the last 300 s and drops a repeat stops a
captured request replayed inside the signature's window, and also the rare duplicate
the outbox's at-least-once delivery can produce after a crash. (Slack and Discord
bodies are shaped by those services, which do not check our signature.)

Plain ``http://`` is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost).
Slack and Discord webhook URLs carry their token in the path, so the URL is a secret:
errors name only its host.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal

import httpx
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from notifiers.base import (
    Alert,
    DestinationGone,
    DigestMessage,
    Notifier,
    NotifierError,
    NotifierSettings,
    PermanentError,
    TransientError,
    is_loopback_host,
)
from notifiers.formatting import (
    alert_discord,
    alert_slack,
    alert_text,
    digest_discord,
    digest_slack,
    escape_markdown,
    escape_slack,
)
from notifiers.render_cache import RenderCache

SIGNATURE_HEADER = "X-Dartwatch-Signature"
TIMESTAMP_HEADER = "X-Dartwatch-Timestamp"
EVENT_HEADER = "X-Dartwatch-Event"
ID_HEADER = "X-Dartwatch-Id"
PAYLOAD_VERSION = 1
MAX_RETRY_AFTER = 3600.0
USER_AGENT = "dartwatch-webhook/1"

Mode = Literal["json", "slack", "discord"]


class WebhookSettings(NotifierSettings):
    """``WEBHOOK_*`` settings."""

    model_config = SettingsConfigDict(env_prefix="WEBHOOK_")

    url: SecretStr
    secret: SecretStr | None = None
    mode: Mode = "json"
    timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    lang: Literal["ko", "en"] | None = None

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: SecretStr) -> SecretStr:
        # Never echo the URL: Slack's and Discord's carry their token in the path.
        try:
            url = httpx.URL(value.get_secret_value().strip())
        except httpx.InvalidURL:
            raise ValueError("not a valid URL") from None
        if url.scheme == "https" and url.host:
            return SecretStr(str(url))
        if url.scheme == "http" and url.host and is_loopback_host(url.host):
            return SecretStr(str(url))
        if url.scheme == "http":
            raise ValueError(
                "must be https:// (plain http:// only to loopback: 127.0.0.0/8, ::1, localhost)"
            )
        raise ValueError("must be an https:// URL")


# --- signatures ----------------------------------------------------------------------


def sign(secret: str, timestamp: int | str, body: bytes) -> str:
    """The ``X-Dartwatch-Signature`` value for *body* sent at *timestamp*."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"sha256={mac.hexdigest()}"


def verify_signature(
    secret: str,
    body: bytes,
    timestamp: str | None,
    signature: str | None,
    *,
    tolerance: float = 300.0,
    now: float | None = None,
) -> bool:
    """True when *signature* is ours for exactly *body* and *timestamp*, and the
    timestamp is within *tolerance* seconds of *now* (a replay guard).

    *timestamp* and *signature* are the raw ``X-Dartwatch-Timestamp`` and
    ``X-Dartwatch-Signature`` header values; *body* the raw request bytes (verify
    before parsing: re-serialised JSON would not match).
    """
    if not timestamp or not signature:
        return False
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip())


# --- payloads (pure) -----------------------------------------------------------------


def alert_payload(alert: Alert, mode: Mode, lang: str) -> dict[str, Any]:
    if mode == "slack":
        return alert_slack(alert, lang)
    if mode == "discord":
        return alert_discord(alert, lang)
    return {
        "type": "alert",
        "version": PAYLOAD_VERSION,
        "id": f"{alert.rcept_no}:{alert.event}",
        "lang": lang,
        "text": alert_text(alert, lang),
        "summary": alert.summary_for(lang),
        "facts": dict(alert.facts),
        "alert": alert.to_dict(),
    }


def digest_payload(digest: DigestMessage, mode: Mode) -> dict[str, Any]:
    if mode == "slack":
        return digest_slack(digest)
    if mode == "discord":
        return digest_discord(digest)
    try:
        data: Any = json.loads(digest.json) if digest.json else None
    except ValueError:
        data = digest.json
    return {
        "type": "digest",
        "version": PAYLOAD_VERSION,
        "id": f"digest:{digest.date}",
        "date": digest.date,
        "lang": digest.lang,
        "subject": digest.subject,
        "text": digest.text,
        "markdown": digest.markdown,
        "html": digest.html,
        "data": data,
    }


def text_id(text: str) -> str:
    """The id of a text message: derived from the text, so a retry of the same message
    keeps it (and identical texts inside the receiver's window count as one)."""
    return "text:" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def text_payload(text: str, mode: Mode) -> dict[str, Any]:
    if mode == "slack":
        return {"text": escape_slack(text)}
    if mode == "discord":
        return {"content": escape_markdown(text)[:2000], "allowed_mentions": {"parse": []}}
    return {"type": "text", "version": PAYLOAD_VERSION, "id": text_id(text), "text": text}


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


# --- classification ------------------------------------------------------------------


def retry_after(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date), capped."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def classify_status(status: int, where: str, headers: httpx.Headers) -> NotifierError | None:
    """The error for an HTTP *status* from a webhook receiver; None for success."""
    if 200 <= status < 300:
        return None
    message = f"{where}: HTTP {status}"
    if status in (408, 429) or status >= 500:
        return TransientError(message, retry_after=retry_after(headers.get("retry-after")))
    if status in (404, 410):
        return DestinationGone(f"{message} (the receiver says this webhook no longer exists)")
    if 300 <= status < 400:
        return PermanentError(f"{message} (redirects are not followed; update WEBHOOK_URL)")
    return PermanentError(message)


class WebhookNotifier(Notifier):
    name: ClassVar[str] = "webhook"
    settings_model: ClassVar[type[NotifierSettings] | None] = WebhookSettings
    #: Slack and Discord allow about one message per second per incoming webhook; a
    #: plain JSON receiver (your own service) is not throttled (see rate_limit()).
    rate_per_second: ClassVar[float | None] = 1.0
    per_destination_interval: ClassVar[float] = 1.0
    #: Discord's embed description; Slack sections are cut to 3,000 per block
    max_message_chars: ClassVar[int | None] = 4096

    def __init__(
        self,
        settings: WebhookSettings | None = None,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings or WebhookSettings()
        self._url = self.settings.url.get_secret_value()
        self._host = httpx.URL(self._url).host
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._rendered: RenderCache[dict[str, Any]] = RenderCache()

    @property
    def where(self) -> str:
        return f"webhook {self._host}"

    def rate_limit(self) -> float | None:
        return None if self.settings.mode == "json" else self.rate_per_second

    def min_interval_for(self, destination: str) -> float:
        return 0.0 if self.settings.mode == "json" else self.per_destination_interval

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(self.settings.timeout_seconds),
                follow_redirects=False,
                headers={"User-Agent": USER_AGENT},
                transport=self._transport,
            )
        return self._client

    async def close(self) -> None:
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        lang = self.settings.lang or lang
        mode = self.settings.mode
        payload = self._rendered.get(alert, lang, mode, lambda: alert_payload(alert, mode, lang))
        await self.post(payload, event="alert", ident=f"{alert.rcept_no}:{alert.event}")

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        payload = digest_payload(digest, self.settings.mode)
        await self.post(payload, event="digest", ident=f"digest:{digest.date}")

    async def send_text(self, text: str, destination: str) -> None:
        await self.post(text_payload(text, self.settings.mode), event="text", ident=text_id(text))

    def headers_for(self, body: bytes, event: str, ident: str | None = None) -> dict[str, str]:
        headers = {"Content-Type": "application/json; charset=utf-8", EVENT_HEADER: event}
        if ident:
            headers[ID_HEADER] = ident
        if self.settings.secret is not None:
            timestamp = str(int(time.time()))
            headers[TIMESTAMP_HEADER] = timestamp
            headers[SIGNATURE_HEADER] = sign(
                self.settings.secret.get_secret_value(), timestamp, body
            )
        return headers

    async def post(self, payload: dict[str, Any], *, event: str, ident: str | None = None) -> None:
        """POST *payload*; raise the classified :class:`NotifierError` on failure."""
        body = encode(payload)
        headers = self.headers_for(body, event, ident)
        try:
            response = await self._http().post(self._url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise TransientError(f"{self.where}: timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{self.where}: {self._scrub(exc)}") from None
        error = classify_status(response.status_code, self.where, response.headers)
        if error is not None:
            raise error

    def _scrub(self, exc: Exception) -> str:
        text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        for secret in (*self.secrets(), self._url):
            text = text.replace(secret, "***")
        return text

    async def health(self) -> str:
        """Reachability only (a HEAD request): posting would deliver a message."""
        try:
            response = await self._http().head(self._url)
        except httpx.TimeoutException:
            raise TransientError(f"{self.where}: timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(f"{self.where}: {self._scrub(exc)}") from None
        return f"ok ({self.where} reachable, HTTP {response.status_code} to HEAD)"

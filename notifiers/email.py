"""The e-mail notifier: multipart (plain text + HTML) messages over SMTP with aiosmtplib.

Mostly for digests, though alerts work too. One message per send goes to every
address in ``EMAIL_TO``. Transport security is STARTTLS (port 587 by default),
implicit TLS (``ssl``, 465) or ``none`` (25), the last allowed only to a loopback
relay. Failures are classified the SMTP way: a 4xx reply or a connection problem is
worth retrying, a 5xx reply is not.
"""

from __future__ import annotations

import ipaddress
import logging
import mimetypes
import ssl
from email.message import EmailMessage
from email.utils import formatdate, getaddresses, make_msgid, parseaddr
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

import aiosmtplib
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from notifiers.base import (
    Alert,
    DigestMessage,
    Notifier,
    NotifierConfigError,
    NotifierError,
    NotifierSettings,
    PermanentError,
    TransientError,
    is_loopback_host,
)
from notifiers.formatting import alert_html, alert_subject, alert_text, escape_html

log = logging.getLogger("dartwatch.email")

DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _check_address(value: str, setting: str) -> str:
    value = value.strip()
    if any(c in value for c in "\r\n"):
        raise ValueError(f"{setting}: line breaks are not allowed")
    _, addr = parseaddr(value)
    if "@" not in addr or " " in addr or addr.startswith("@") or addr.endswith("@"):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


class EmailSettings(NotifierSettings):
    """``SMTP_*`` and ``EMAIL_*`` settings."""

    model_config = SettingsConfigDict(env_prefix="SMTP_")

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: SecretStr | None = None
    timeout_seconds: float = Field(default=30.0, gt=0, le=300)
    #: a PEM bundle of CAs to trust instead of the system's (a private relay)
    ca_file: Path | None = None
    email_from: str = Field(alias="EMAIL_FROM")
    email_to: Annotated[list[str], NoDecode] = Field(alias="EMAIL_TO")
    lang: Literal["ko", "en"] | None = Field(default=None, alias="EMAIL_LANG")

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        value = value.strip().strip("[]")
        if not value or any(c in value for c in " /@"):
            raise ValueError("must be a host name or address, without scheme")
        if ":" in value:
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                raise ValueError("must not include a port (use SMTP_PORT)") from None
        return value

    @field_validator("email_from")
    @classmethod
    def _check_from(cls, value: str) -> str:
        return _check_address(value, "EMAIL_FROM")

    @field_validator("email_to", mode="before")
    @classmethod
    def _split_to(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = [part for part in value.split(",") if part.strip()]
        if isinstance(value, list):
            if not value:
                raise ValueError("needs at least one address")
            return [_check_address(str(v), "EMAIL_TO") for v in value]
        return value

    @field_validator("ca_file")
    @classmethod
    def _check_ca(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @model_validator(mode="after")
    def _check_security(self) -> EmailSettings:
        if self.security == "none" and not is_loopback_host(self.host):
            raise ValueError(
                "SMTP_SECURITY: none (no TLS) is allowed only to a loopback SMTP_HOST "
                "(127.0.0.0/8, ::1, localhost); use starttls or ssl"
            )
        if self.password is not None and not self.username:
            raise ValueError("SMTP_USERNAME: not set, but SMTP_PASSWORD is")
        return self

    @property
    def effective_port(self) -> int:
        return self.port or DEFAULT_PORTS[self.security]

    @property
    def recipients(self) -> list[str]:
        return [addr for _, addr in getaddresses(self.email_to)]


def _reply_code(exc: BaseException) -> int | None:
    code = getattr(exc, "code", None)
    return code if isinstance(code, int) and code >= 100 else None


def _cert_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def classify(exc: BaseException, where: str) -> NotifierError:
    """4xx replies and connection trouble are transient; 5xx replies are permanent."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        codes = [r.code for r in exc.recipients]
        detail = "; ".join(f"{r.recipient}: {r.code} {r.message}" for r in exc.recipients)
        message = f"{where}: all recipients refused ({detail})"
        if any(400 <= c < 500 for c in codes):
            return TransientError(message)
        return PermanentError(message)
    if _cert_error(exc):
        return PermanentError(
            f"{where}: the server's TLS certificate is not trusted (see SMTP_CA_FILE)"
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported) or (
        type(exc) is aiosmtplib.SMTPException and "STARTTLS" in str(exc)
    ):
        # The server does not offer what SMTP_SECURITY asks for: no retry will help.
        return PermanentError(f"{where}: {exc} (check SMTP_SECURITY)")
    code = _reply_code(exc)
    text = str(getattr(exc, "message", "") or exc or type(exc).__name__)
    if code is not None:
        message = f"{where}: {code} {text}"
        return PermanentError(message) if code >= 500 else TransientError(message)
    # Connection refused/reset, timeouts, TLS trouble, a server that hung up.
    return TransientError(f"{where}: {type(exc).__name__}: {text}")


def _attachment_type(name: str) -> tuple[str, str]:
    guessed, _ = mimetypes.guess_type(name)
    if not guessed:
        return "text", "plain"
    maintype, _, subtype = guessed.partition("/")
    return maintype, subtype


def build_message(
    *,
    sender: str,
    recipients: list[str],
    subject: str,
    text: str,
    html: str,
    attachments: dict[str, str] | None = None,
    ident: str | None = None,
) -> EmailMessage:
    """A multipart/alternative message (multipart/mixed when there are attachments)."""
    msg = EmailMessage()
    msg["Subject"] = " ".join(subject.split())
    msg["From"] = sender
    msg["To"] = ", ".join(recipients)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    _, from_addr = parseaddr(sender)
    domain = from_addr.rpartition("@")[2] or "dartwatch.local"
    msg["Message-ID"] = make_msgid(domain=domain)
    if ident:
        msg["X-Dartwatch-Id"] = ident
    msg.set_content(text, subtype="plain", charset="utf-8")
    msg.add_alternative(html, subtype="html", charset="utf-8")
    for name, content in (attachments or {}).items():
        maintype, subtype = _attachment_type(name)
        if maintype == "text":
            msg.add_attachment(content, subtype=subtype, filename=name, charset="utf-8")
        else:
            msg.add_attachment(
                content.encode("utf-8"), maintype=maintype, subtype=subtype, filename=name
            )
    return msg


def _html_document(body: str, lang: str, title: str) -> str:
    return (
        f'<!doctype html>\n<html lang="{escape_html(lang)}"><head><meta charset="utf-8">'
        f"<title>{escape_html(title)}</title></head>\n<body>\n{body}\n</body></html>\n"
    )


class EmailNotifier(Notifier):
    name: ClassVar[str] = "email"
    settings_model: ClassVar[type[NotifierSettings] | None] = EmailSettings
    #: relays throttle bursts; alerts are few, digests one a day
    rate_per_second: ClassVar[float | None] = 1.0
    per_destination_interval: ClassVar[float] = 1.0
    max_message_chars: ClassVar[int | None] = None

    def __init__(self, settings: EmailSettings | None = None) -> None:
        self.settings = settings or EmailSettings()
        self._tls: ssl.SSLContext | None = None
        if self.settings.ca_file is not None:
            try:
                self._tls = ssl.create_default_context(cafile=str(self.settings.ca_file))
            except (OSError, ssl.SSLError) as exc:
                raise NotifierConfigError(f"SMTP_CA_FILE: cannot load: {exc}") from None

    @property
    def where(self) -> str:
        return f"smtp {self.settings.host}:{self.settings.effective_port}"

    def _smtp_kwargs(self) -> dict[str, Any]:
        s = self.settings
        return {
            "hostname": s.host,
            "port": s.effective_port,
            "username": s.username or None,
            "password": s.password.get_secret_value() if s.password else None,
            "use_tls": s.security == "ssl",
            "start_tls": s.security == "starttls",
            "tls_context": self._tls,
            "timeout": s.timeout_seconds,
        }

    async def send_alert(self, alert: Alert, destination: str, *, lang: str = "ko") -> None:
        lang = self.settings.lang or lang
        subject = alert_subject(alert, lang)
        html = _html_document(alert_html(alert, lang), lang, subject)
        await self.send_message(
            subject, alert_text(alert, lang), html, ident=f"{alert.rcept_no}:{alert.event}"
        )

    async def send_digest(self, digest: DigestMessage, destination: str) -> None:
        await self.send_message(
            digest.subject,
            digest.text,
            digest.html,
            attachments=digest.attachments,
            ident=f"digest:{digest.date}",
        )

    async def send_text(self, text: str, destination: str) -> None:
        first = text.strip().splitlines()[0] if text.strip() else "dartwatch"
        html = _html_document(f"<pre>{escape_html(text)}</pre>", "ko", first)
        await self.send_message(f"[dartwatch] {first[:150]}", text, html)

    async def send_message(
        self,
        subject: str,
        text: str,
        html: str,
        *,
        attachments: dict[str, str] | None = None,
        ident: str | None = None,
    ) -> None:
        """Send one message to every recipient; raise a classified error on failure."""
        s = self.settings
        msg = build_message(
            sender=s.email_from,
            recipients=s.email_to,
            subject=subject,
            text=text,
            html=html,
            attachments=attachments,
            ident=ident,
        )
        try:
            refused, _ = await aiosmtplib.send(
                msg,
                sender=parseaddr(s.email_from)[1],
                recipients=s.recipients,
                **self._smtp_kwargs(),
            )
        except Exception as exc:
            raise self._classify(exc) from None
        if refused:
            # Delivered to the others: retrying would send them a duplicate.
            log.warning(
                "%s: %d of %d recipients refused: %s",
                self.where,
                len(refused),
                len(s.recipients),
                ", ".join(f"{addr} ({r.code})" for addr, r in refused.items()),
            )

    def _classify(self, exc: BaseException) -> NotifierError:
        error = classify(exc, self.where)
        password = self.settings.password.get_secret_value() if self.settings.password else ""
        if password and password in str(error):
            return type(error)(str(error).replace(password, "***"))
        return error

    async def health(self) -> str:
        """Connect, negotiate TLS, log in and NOOP: everything but sending."""
        try:
            smtp = aiosmtplib.SMTP(**self._smtp_kwargs())
            async with smtp:
                await smtp.noop()
        except Exception as exc:
            raise self._classify(exc) from None
        return f"ok ({self.where}, {self.settings.security})"

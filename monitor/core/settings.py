"""The one settings object, read from the environment and ``.env``.

Names are the outside contract (documented in ``.env.example``): add, never rename.
A bad value becomes :class:`ConfigError` whose text is one line naming the setting;
the CLI prints it and exits 2.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    DotEnvSettingsSource,
    EnvSettingsSource,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from notifiers.base import is_loopback_host
from storage.db import DatabaseURLError, validate_url

_KEY_RE = re.compile(r"^[0-9A-Za-z]{40}$")
_TOKEN_RE = re.compile(r"^\d{3,20}:[A-Za-z0-9_-]{20,100}$")


DEFAULT_WEB_LISTEN = "127.0.0.1:8080"


def parse_listen(value: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:8080`` for IPv6) -> ``(host, port)``; ValueError if not."""
    m = re.fullmatch(r"\s*(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})\s*", value)
    if not m or not 1 <= int(m.group(3)) <= 65535:
        raise ValueError(f"must be HOST:PORT, e.g. 127.0.0.1:8080 (got {value!r})")
    return m.group(1) or m.group(2), int(m.group(3))


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or ``localhost``: addresses no other machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ConfigError(Exception):
    """A setting has a bad value; the message is one line and names the setting."""


def _split_csv(value: Any) -> Any:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


DEFAULT_RSS_URL = "https://dart.fss.or.kr/api/todayRSS.xml"


class _EmptyRssUrl(PydanticBaseSettingsSource):
    """``DART_RSS_URL=`` (empty) switches the fast path off. Every other empty setting
    means "use the default" (``env_ignore_empty``), so this one is read on its own:
    from the environment, else from ``.env``."""

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return None, field_name, False

    def __call__(self) -> dict[str, Any]:
        for source in (EnvSettingsSource, DotEnvSettingsSource):
            raw = source(self.settings_cls, env_ignore_empty=False)()
            value = next((v for k, v in raw.items() if k.upper() == "DART_RSS_URL"), None)
            if value is not None:
                return {"DART_RSS_URL": ""} if not str(value).strip() else {}
        return {}


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        case_sensitive=False,
        validate_default=True,
        env_ignore_empty=True,
    )

    # --- OpenDART -----------------------------------------------------------------
    dart_api_key: SecretStr | None = Field(default=None, alias="DART_API_KEY")
    dart_base_url: str = Field(default="https://opendart.fss.or.kr/api", alias="DART_BASE_URL")
    dart_timeout_seconds: float = Field(default=15.0, gt=0, le=300, alias="DART_TIMEOUT_SECONDS")
    dart_max_retries: int = Field(default=4, ge=0, le=10, alias="DART_MAX_RETRIES")
    dart_daily_budget: int = Field(default=15000, ge=1, le=20000, alias="DART_DAILY_BUDGET")
    dart_max_per_minute: int = Field(default=300, ge=1, le=900, alias="DART_MAX_PER_MINUTE")
    poll_lookback_days: int = Field(default=1, ge=1, le=14, alias="POLL_LOOKBACK_DAYS")
    watchlist_file: Path | None = Field(default=None, alias="WATCHLIST_FILE")
    corpcode_refresh_hours: float = Field(default=24.0, ge=1, alias="CORPCODE_REFRESH_HOURS")
    max_watched_companies: int = Field(default=300, ge=1, le=5000, alias="MAX_WATCHED_COMPANIES")

    # --- RSS fast path (docs/detection.md) ------------------------------------------
    dart_rss_url: str = Field(default=DEFAULT_RSS_URL, alias="DART_RSS_URL")
    rss_poll_seconds: float = Field(default=3.0, ge=1, le=300, alias="RSS_POLL_SECONDS")
    list_poll_seconds: int = Field(default=90, ge=1, le=86400, alias="LIST_POLL_SECONDS")

    # --- documents (bodies read by the matcher) ------------------------------------
    document_fetch: bool = Field(default=True, alias="DOCUMENT_FETCH")
    document_max_bytes: int = Field(default=5_000_000, ge=10_000, alias="DOCUMENT_MAX_BYTES")
    document_timeout_seconds: float = Field(
        default=8.0, gt=0, le=120, alias="DOCUMENT_TIMEOUT_SECONDS"
    )

    # --- facts (what a filing says; docs/facts.md) ----------------------------------
    facts_fetch: bool = Field(default=True, alias="FACTS_FETCH")
    facts_max_attempts: int = Field(default=3, ge=1, le=10, alias="FACTS_MAX_ATTEMPTS")

    # --- storage ------------------------------------------------------------------
    database_url: str = Field(default="sqlite:///dartwatch.db", alias="DATABASE_URL")

    # --- timeline -----------------------------------------------------------------
    timeline_file: Path | None = Field(default=None, alias="TIMELINE_FILE")
    timeline_url: str | None = Field(default=None, alias="TIMELINE_URL")
    timeline_refresh_hours: int = Field(default=6, ge=1, le=168, alias="TIMELINE_REFRESH_HOURS")
    timeline_cache_file: Path = Field(
        default=Path("timeline-remote.toml"), alias="TIMELINE_CACHE_FILE"
    )

    # --- scheduling ---------------------------------------------------------------
    poll_interval_seconds: int = Field(default=30, ge=1, le=86400, alias="POLL_INTERVAL_SECONDS")
    poll_idle_interval_seconds: int = Field(
        default=600, ge=1, le=86400, alias="POLL_IDLE_INTERVAL_SECONDS"
    )
    digest_time: time = Field(default=time(18, 30), alias="DIGEST_TIME")
    digest_lang: Literal["ko", "en"] = Field(default="ko", alias="DIGEST_LANG")
    delivery_max_attempts: int = Field(default=8, ge=1, le=100, alias="DELIVERY_MAX_ATTEMPTS")
    delivery_max_age_hours: float = Field(
        default=24.0, gt=0, le=24 * 30, alias="DELIVERY_MAX_AGE_HOURS"
    )
    delivery_retention_days: int = Field(default=30, ge=1, alias="DELIVERY_RETENTION_DAYS")
    dispatch_batch_size: int = Field(default=50, ge=1, le=1000, alias="DISPATCH_BATCH_SIZE")
    delivery_lease_seconds: float = Field(
        default=30.0, ge=2, le=3600, alias="DELIVERY_LEASE_SECONDS"
    )

    # --- notifiers ----------------------------------------------------------------
    notifiers: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["console"], alias="NOTIFIERS"
    )
    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_base_url: str = Field(
        default="https://api.telegram.org/bot", alias="TELEGRAM_BASE_URL"
    )
    telegram_webhook_url: str | None = Field(default=None, alias="TELEGRAM_WEBHOOK_URL")
    admin_user_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="ADMIN_USER_IDS"
    )
    # Deprecated: admin rights belong to people. Still read (private chats only, where
    # the chat id is the user id) and still notified; see docs/security.md.
    admin_chat_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, alias="ADMIN_CHAT_IDS"
    )

    # --- operations ---------------------------------------------------------------
    log_format: Literal["text", "json"] = Field(default="text", alias="LOG_FORMAT")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    metrics_port: int | None = Field(default=None, ge=1, le=65535, alias="METRICS_PORT")

    # --- the web desk (read-only pages and feeds) -----------------------------------
    web_listen: str | None = Field(default=None, alias="WEB_LISTEN")
    web_token: SecretStr | None = Field(default=None, alias="WEB_TOKEN")
    web_lang: Literal["ko", "en"] | None = Field(default=None, alias="WEB_LANG")
    # The locale the process runs under; only its language part is used (web default).
    locale_lang: str | None = Field(default=None, alias="LANG")

    @field_validator("dart_api_key", mode="before")
    @classmethod
    def _check_key(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _KEY_RE.match(raw.strip()):
            # Never echo the value: it is a secret even when malformed.
            raise ValueError("must be the 40-character key OpenDART issued (letters and digits)")
        return raw.strip()

    @field_validator("telegram_bot_token", mode="before")
    @classmethod
    def _check_token(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if not _TOKEN_RE.match(raw.strip()):
            raise ValueError("must look like 123456789:AA... as issued by @BotFather")
        return raw.strip()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            _EmptyRssUrl(settings_cls),
            env_settings,
            dotenv_settings,
            file_secret_settings,
        )

    @field_validator("dart_rss_url")
    @classmethod
    def _check_rss_url(cls, value: str) -> str:
        value = value.strip()
        if value and not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(
                f"must be an http(s) URL, or empty to turn the fast path off (got {value!r})"
            )
        # Whoever can alter the feed in transit could make investors trade on filings
        # that do not exist: https, or plain http to this machine only (tests).
        if value and not value.lower().startswith("https://"):
            from urllib.parse import urlsplit

            from notifiers.base import is_loopback_host

            if not is_loopback_host(urlsplit(value).hostname or ""):
                raise ValueError("must be https:// (plain http:// only to loopback)")
        return value

    @field_validator("dart_base_url", "telegram_base_url")
    @classmethod
    def _check_http_url(cls, value: str) -> str:
        value = value.strip()
        if not re.match(r"^https?://[^\s/]+", value):
            raise ValueError(f"must be an http(s) URL (got {value!r})")
        # The API key / bot token travels in every request to this URL.
        if not value.lower().startswith("https://"):
            try:
                host = urlsplit(value).hostname or ""
            except ValueError:
                host = ""
            if not is_loopback_host(host):
                raise ValueError(
                    "must be https:// (it carries a secret; plain http:// only to loopback: "
                    "127.0.0.0/8, ::1, localhost)"
                )
        return value

    @field_validator("telegram_webhook_url")
    @classmethod
    def _check_webhook(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith("https://"):
            raise ValueError("must be an https:// URL (Telegram only calls HTTPS webhooks)")
        return value.strip()

    @field_validator("timeline_url", mode="before")
    @classmethod
    def _check_timeline_url(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        text = str(value).strip()
        loopback = re.match(r"^http://(127\.0\.0\.1|localhost)(:\d+)?/", text)
        if not (text.startswith("https://") or loopback):
            raise ValueError("must be an https:// URL (plain http only on 127.0.0.1, for tests)")
        return text

    @field_validator("web_listen")
    @classmethod
    def _check_listen(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_listen(value)
        return value.strip()

    @field_validator("web_token", mode="before")
    @classmethod
    def _check_web_token(cls, value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        raw = value.get_secret_value() if isinstance(value, SecretStr) else str(value)
        if len(raw.strip()) < 16 or any(c.isspace() for c in raw.strip()):
            raise ValueError("must be at least 16 characters without spaces")
        return raw.strip()

    @field_validator("database_url")
    @classmethod
    def _check_db(cls, value: str) -> str:
        try:
            validate_url(value)
        except DatabaseURLError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()

    @field_validator("notifiers", mode="before")
    @classmethod
    def _split_notifiers(cls, value: Any) -> Any:
        names = _split_csv(value)
        if isinstance(names, list):
            return [str(n).lower() for n in names]
        return names

    @field_validator("admin_chat_ids", "admin_user_ids", mode="before")
    @classmethod
    def _split_admins(cls, value: Any) -> Any:
        return _split_csv(value)

    @field_validator("admin_user_ids")
    @classmethod
    def _check_user_ids(cls, value: list[int]) -> list[int]:
        # Telegram user ids are positive; negative ids are groups and channels.
        wrong = [i for i in value if i <= 0]
        if wrong:
            raise ValueError(
                f"user ids are positive numbers (got {wrong[0]}; groups have no rights)"
            )
        return value

    @field_validator("digest_time", mode="before")
    @classmethod
    def _parse_time(cls, value: Any) -> Any:
        if isinstance(value, str):
            m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", value)
            if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
                raise ValueError(f"must be HH:MM in KST, e.g. 18:30 (got {value!r})")
            return time(int(m.group(1)), int(m.group(2)))
        return value

    # --- derived ------------------------------------------------------------------
    @property
    def dart_api_root(self) -> str:
        """The base URL without a trailing slash, so paths join the same way either way."""
        return self.dart_base_url.rstrip("/")

    @property
    def admin_notify_chats(self) -> list[int]:
        """Where admin notices go: every admin's private chat, then the legacy
        ``ADMIN_CHAT_IDS`` chats (groups included), each once."""
        return list(dict.fromkeys([*self.admin_user_ids, *self.admin_chat_ids]))

    @property
    def rss_enabled(self) -> bool:
        return bool(self.dart_rss_url)

    def require_dart_key(self) -> str:
        if self.dart_api_key is None:
            raise ConfigError(
                "DART_API_KEY: not set; get a key at https://opendart.fss.or.kr "
                "(or run `dartwatch demo`, which needs none)"
            )
        return self.dart_api_key.get_secret_value()

    def require_bot_token(self) -> str:
        if self.telegram_bot_token is None:
            raise ConfigError("TELEGRAM_BOT_TOKEN: not set; the telegram notifier needs it")
        return self.telegram_bot_token.get_secret_value()

    @property
    def web_default_lang(self) -> str:
        """WEB_LANG, else the language of LANG when it is Korean or English, else Korean."""
        if self.web_lang is not None:
            return self.web_lang
        locale = (self.locale_lang or "").lower()
        return "en" if locale.startswith("en") else "ko"

    def web_bind(self, listen: str | None = None) -> tuple[str, int]:
        """Where the web desk listens: *listen*, WEB_LISTEN or ``127.0.0.1:8080``.

        A page served beyond this machine without WEB_TOKEN would show the whole
        history to anyone who finds the port, so that combination is a configuration
        error rather than a warning.
        """
        text = listen or self.web_listen or DEFAULT_WEB_LISTEN
        try:
            host, port = parse_listen(text)
        except ValueError as exc:
            raise ConfigError(f"WEB_LISTEN: {exc}") from None
        if not is_loopback(host) and self.web_token is None:
            raise ConfigError(
                f"WEB_TOKEN: not set; required to serve the web desk on {host} "
                "(only 127.0.0.1/::1/localhost may go without)"
            )
        return host, port

    def secrets(self) -> list[str]:
        """Every secret value in force, for the log redaction filter."""
        found = []
        for secret in (self.dart_api_key, self.telegram_bot_token, self.web_token):
            if secret is not None:
                found.append(secret.get_secret_value())
        return found


def format_validation_error(exc: ValidationError) -> str:
    """One line naming the setting(s), never echoing a secret's value."""
    parts = []
    for err in exc.errors():
        loc = err.get("loc") or ("?",)
        name = str(loc[0]).upper()
        msg = str(err.get("msg", "invalid value"))
        msg = msg.removeprefix("Value error, ")
        parts.append(f"{name}: {msg}")
    return "; ".join(parts)


def load_settings(**overrides: Any) -> Settings:
    """Read settings; raise :class:`ConfigError` with a one-line message on a bad value."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc)) from None

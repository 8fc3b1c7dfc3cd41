"""The e-mail notifier against a real SMTP server (aiosmtpd) on 127.0.0.1: plain,
STARTTLS and implicit TLS with trustme certificates, login, multipart text + HTML,
recipients, Korean text, and classification of SMTP replies."""

from __future__ import annotations

import contextlib
import email
import email.policy
import logging
import ssl
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from monitor.core.loopback import free_port
from notifiers.base import NotifierError, PermanentError, TransientError
from notifiers.email import EmailNotifier, EmailSettings
from notifiers.formatting import alert_subject
from tests.helpers.notifier import (
    clean_notifier_env,  # noqa: F401  (fixture)
    sample_alert,
    sample_digest,
)

pytestmark = pytest.mark.usefixtures("clean_notifier_env")

USER, PASSWORD = "dartwatch", "pa55-w0rd-secret"


class Mailbox:
    """An aiosmtpd handler that keeps what it accepts and refuses some recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[Any, EmailMessage, bool, bool]] = []
        self.data_reply = "250 Message accepted"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("busy"):
            return "451 4.3.0 mailbox busy, try later"
        if address.startswith("nobody"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if not self.data_reply.startswith("250"):
            return self.data_reply
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(msg, EmailMessage)
        tls = server.transport.get_extra_info("ssl_object") is not None
        self.messages.append((envelope, msg, tls, session.authenticated))
        return self.data_reply


def _authenticator(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USER.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)  # handled=False: the server replies 535


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def server_tls(ca: trustme.CA) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(ctx)
    return ctx


@contextlib.contextmanager
def smtp_server(**kwargs: Any) -> Iterator[tuple[Mailbox, int]]:
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, ready_timeout=10, **kwargs)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def settings(port: int, **changes: Any) -> EmailSettings:
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "timeout_seconds": 5,
        "email_from": "dartwatch 알림 <alerts@example.com>",
        "email_to": ["analyst@example.com", "Team Lead <lead@example.com>"],
    }
    values.update(changes)
    return EmailSettings(**values)


def _parts(msg: EmailMessage) -> dict[str, str]:
    return {
        part.get_content_type(): part.get_content().replace("\r\n", "\n")
        for part in msg.walk()
        if not part.is_multipart() and not part.get_filename()
    }


# --- what arrives --------------------------------------------------------------------


async def test_plain_alert_is_multipart_to_every_recipient() -> None:
    with smtp_server() as (box, port):
        notifier = EmailNotifier(settings(port))
        alert = sample_alert(correction=True, corp_name="네이버 <&>")
        await notifier.send_alert(alert, "default", lang="ko")
    ((envelope, msg, tls, _),) = box.messages
    assert envelope.mail_from == "alerts@example.com"
    assert envelope.rcpt_tos == ["analyst@example.com", "lead@example.com"]
    assert not tls
    assert msg["Subject"] == alert_subject(alert, "ko")
    assert msg["Subject"].startswith("[dartwatch] [정정 공시] 네이버 <&>")
    assert msg["To"] == "analyst@example.com, Team Lead <lead@example.com>"
    assert msg["From"] == "dartwatch 알림 <alerts@example.com>"
    assert msg["X-Dartwatch-Id"] == "20260105000123:new"
    assert msg.get_content_type() == "multipart/alternative"
    parts = _parts(msg)
    assert set(parts) == {"text/plain", "text/html"}
    assert "K-AI 팀: 네이버클라우드 (주관사)" in parts["text/plain"]
    assert "AI 관련도: 73/100" in parts["text/plain"]
    assert "네이버 &lt;&amp;&gt;" in parts["text/html"]
    assert "<strong>⚠ 정정 공시</strong>" in parts["text/html"]
    assert (
        'href="https://dart.fss.or.kr/dsaf001/main.do?rcpNo=20260105000123"' in parts["text/html"]
    )


async def test_starttls_with_login_sends_the_digest(
    server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    with smtp_server(
        tls_context=server_tls,
        require_starttls=True,
        authenticator=_authenticator,
        auth_require_tls=True,
    ) as (box, port):
        notifier = EmailNotifier(
            settings(
                port,
                security="starttls",
                ca_file=ca_file,
                username=USER,
                password=PASSWORD,
                email_to=["analyst@example.com"],
            )
        )
        assert await notifier.health() == f"ok (smtp 127.0.0.1:{port}, starttls)"
        digest = sample_digest()
        await notifier.send_digest(digest, "default")
    ((envelope, msg, tls, authenticated),) = box.messages
    assert tls and authenticated
    assert envelope.rcpt_tos == ["analyst@example.com"]
    assert msg["Subject"] == "[dartwatch] 2026-01-05 공시 요약 (3건)"
    assert msg.get_content_type() == "multipart/mixed"
    parts = _parts(msg)
    assert parts["text/plain"].rstrip("\n") == digest.text
    assert parts["text/html"].rstrip("\n") == digest.html
    (attachment,) = [p for p in msg.walk() if p.get_filename()]
    assert attachment.get_filename() == "chart.svg"
    assert attachment.get_content_type() == "image/svg+xml"
    assert notifier.secrets() == [PASSWORD]


async def test_implicit_tls(server_tls: ssl.SSLContext, ca_file: Path) -> None:
    with smtp_server(ssl_context=server_tls) as (box, port):
        notifier = EmailNotifier(settings(port, security="ssl", ca_file=ca_file))
        await notifier.send_text("관리자 공지\n내일 점검", "default")
    ((_, msg, tls, _),) = box.messages
    assert tls
    assert msg["Subject"] == "[dartwatch] 관리자 공지"
    assert _parts(msg)["text/plain"].startswith("관리자 공지\n내일 점검")


async def test_partly_refused_recipients_still_count_as_sent(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with smtp_server() as (box, port):
        notifier = EmailNotifier(
            settings(port, email_to=["analyst@example.com", "nobody@example.com"])
        )
        with caplog.at_level(logging.WARNING, logger="dartwatch.email"):
            await notifier.send_alert(sample_alert(), "default")
    assert box.messages[0][0].rcpt_tos == ["analyst@example.com"]
    assert "1 of 2 recipients refused: nobody@example.com (550)" in caplog.text


# --- classification ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("recipients", "data_reply", "error", "text"),
    [
        (["busy@example.com"], None, TransientError, "451"),
        (["nobody@example.com"], None, PermanentError, "550"),
        (["busy@example.com", "nobody@example.com"], None, TransientError, "all recipients"),
        (["analyst@example.com"], "452 4.3.1 insufficient storage", TransientError, "452"),
        (["analyst@example.com"], "554 5.7.1 rejected as spam", PermanentError, "554"),
    ],
)
async def test_smtp_replies_are_classified(
    recipients: list[str], data_reply: str | None, error: type[NotifierError], text: str
) -> None:
    with smtp_server() as (box, port):
        if data_reply:
            box.data_reply = data_reply
        notifier = EmailNotifier(settings(port, email_to=recipients))
        with pytest.raises(error, match=text) as err:
            await notifier.send_alert(sample_alert(), "default")
    assert type(err.value) is error
    assert str(err.value).startswith(f"smtp 127.0.0.1:{port}: ")
    assert box.messages == []


async def test_wrong_password_is_permanent_and_not_echoed(
    server_tls: ssl.SSLContext, ca_file: Path
) -> None:
    with smtp_server(tls_context=server_tls, authenticator=_authenticator) as (_, port):
        notifier = EmailNotifier(
            settings(
                port,
                security="starttls",
                ca_file=ca_file,
                username=USER,
                password="wrong-" + PASSWORD,
            )
        )
        with pytest.raises(PermanentError, match="535") as err:
            await notifier.send_alert(sample_alert(), "default")
    assert PASSWORD not in str(err.value)


async def test_server_requiring_starttls_refuses_plain_mail(server_tls: ssl.SSLContext) -> None:
    # A loopback relay that insists on TLS, configured with SMTP_SECURITY=none.
    with smtp_server(tls_context=server_tls, require_starttls=True) as (box, port):
        notifier = EmailNotifier(settings(port))
        with pytest.raises(PermanentError, match="530"):
            await notifier.send_alert(sample_alert(), "default")
    assert box.messages == []


async def test_untrusted_certificate_is_permanent(server_tls: ssl.SSLContext) -> None:
    with smtp_server(tls_context=server_tls) as (box, port):
        notifier = EmailNotifier(settings(port, security="starttls"))  # system CAs only
        with pytest.raises(PermanentError, match="certificate is not trusted"):
            await notifier.send_alert(sample_alert(), "default")
    assert box.messages == []


async def test_server_without_starttls_is_permanent() -> None:
    with smtp_server() as (_, port):
        notifier = EmailNotifier(settings(port, security="starttls"))
        with pytest.raises(PermanentError, match="SMTP_SECURITY"):
            await notifier.send_alert(sample_alert(), "default")


async def test_refused_connection_is_transient() -> None:
    notifier = EmailNotifier(settings(free_port(), timeout_seconds=2))
    with pytest.raises(TransientError, match=r"^smtp 127.0.0.1:\d+: SMTPConnectError"):
        await notifier.send_alert(sample_alert(), "default")
    with pytest.raises(TransientError):
        await notifier.health()


@pytest.mark.parametrize(("security", "port"), [("starttls", 587), ("ssl", 465), ("none", 25)])
def test_default_ports(security: str, port: int) -> None:
    assert settings(None, security=security).effective_port == port  # type: ignore[arg-type]

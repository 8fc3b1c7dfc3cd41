"""The webhook notifier against a real HTTP receiver on 127.0.0.1: payload shapes per
mode, signatures, the HTTPS rule, and failure classification."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from pydantic import SecretStr, ValidationError

from monitor.core.loopback import free_port, serve_in_thread
from notifiers.base import DestinationGone, NotifierError, PermanentError, TransientError
from notifiers.webhook import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookNotifier,
    WebhookSettings,
    retry_after,
    sign,
    verify_signature,
)
from tests.helpers.notifier import (
    Receiver,
    clean_notifier_env,  # noqa: F401  (fixture)
    sample_alert,
    sample_digest,
)

SECRET = "whsec-test-0123456789"
TOKEN = "T000/B000/SeCrEtPaThToKeN"

pytestmark = pytest.mark.usefixtures("clean_notifier_env")


@pytest.fixture(scope="module")
def receiver() -> Iterator[tuple[Receiver, str]]:
    app = Receiver()
    with serve_in_thread(app) as base:
        yield app, base


@pytest.fixture
def server(receiver: tuple[Receiver, str]) -> tuple[Receiver, str]:
    receiver[0].requests.clear()
    return receiver


def make(url: str, **settings: object) -> WebhookNotifier:
    return WebhookNotifier(WebhookSettings(url=SecretStr(url), **settings))  # type: ignore[arg-type]


# --- HTTPS rule ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://hooks.example.com/x", True),
        ("http://127.0.0.1:8080/hook", True),
        ("http://127.9.9.9/hook", True),
        ("http://[::1]:8080/hook", True),
        ("http://localhost:8080/hook", True),
        ("http://hooks.example.com/x", False),
        ("http://10.0.0.1/x", False),
        ("http://192.168.0.10/x", False),
        ("http://127.0.0.1.example.com/x", False),
        ("http://localhost.evil.com/x", False),
        ("ftp://127.0.0.1/x", False),
        ("hooks.example.com/x", False),
    ],
)
def test_https_required_except_loopback(url: str, ok: bool) -> None:
    if ok:
        assert WebhookSettings(url=SecretStr(url)).url.get_secret_value().startswith("http")
    else:
        with pytest.raises(ValidationError) as err:
            WebhookSettings(url=SecretStr(url + "/" + TOKEN))
        assert TOKEN not in str(err.value)


# --- payload shapes ------------------------------------------------------------------


async def test_json_payload_and_signature(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(f"{base}/hook", secret=SecretStr(SECRET))
    try:
        await notifier.send_alert(sample_alert(), "default", lang="ko")
        await notifier.send_digest(sample_digest(), "default")
        await notifier.send_text("점검 안내", "default")
    finally:
        await notifier.close()
    alert_req, digest_req, text_req = app.requests
    assert alert_req.method == "POST" and alert_req.path == "/hook"
    assert alert_req.headers["content-type"] == "application/json; charset=utf-8"
    assert alert_req.headers["x-dartwatch-event"] == "alert"
    assert alert_req.headers["x-dartwatch-id"] == "20260105000123:new"
    body = alert_req.json()
    assert body["type"] == "alert" and body["version"] == 1 and body["lang"] == "ko"
    assert body["alert"]["corp_name"] == "네이버"
    assert body["alert"]["url"].endswith("rcpNo=20260105000123")
    assert body["alert"]["milestone_before"]["offset_days"] == -6
    assert "AI 관련도: 73/100" in body["text"]
    assert "네이버".encode() in alert_req.body  # UTF-8 on the wire, not \u escapes
    digest = digest_req.json()
    assert digest["type"] == "digest" and digest["data"] == {"date": "2026-01-05", "count": 3}
    assert digest_req.headers["x-dartwatch-id"] == "digest:2026-01-05"
    assert text_req.json() == {
        "type": "text",
        "version": 1,
        "id": "text:" + hashlib.sha256("점검 안내".encode()).hexdigest()[:32],
        "text": "점검 안내",
    }
    for req in app.requests:
        ts, sig = req.headers[TIMESTAMP_HEADER.lower()], req.headers[SIGNATURE_HEADER.lower()]
        assert abs(int(ts) - time.time()) < 60
        assert sig.startswith("sha256=") and len(sig) == 7 + 64
        assert verify_signature(SECRET, req.body, ts, sig)


async def test_signature_rejects_tampering_and_replays(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(f"{base}/hook", secret=SecretStr(SECRET))
    try:
        await notifier.send_alert(sample_alert(), "default")
    finally:
        await notifier.close()
    (req,) = app.requests
    ts, sig = req.headers["x-dartwatch-timestamp"], req.headers["x-dartwatch-signature"]
    tampered = req.body.replace("네이버".encode(), "카카오".encode())
    assert tampered != req.body
    cases = [
        (SECRET, req.body, ts, sig, None, True),
        (SECRET, tampered, ts, sig, None, False),  # body changed
        (SECRET, req.body, str(int(ts) + 1), sig, None, False),  # timestamp changed
        ("other-secret", req.body, ts, sig, None, False),
        (SECRET, req.body, ts, sig, int(ts) + 301, False),  # replayed later
        (SECRET, req.body, ts, sig, int(ts) + 299, True),
        (SECRET, req.body, None, sig, None, False),
        (SECRET, req.body, ts, None, None, False),
        (SECRET, req.body, "yesterday", sig, None, False),
        (SECRET, req.body, ts, "sha256=" + "0" * 64, None, False),
    ]
    for secret, body, timestamp, signature, now, expected in cases:
        assert verify_signature(secret, body, timestamp, signature, now=now) is expected


def test_sign_is_hmac_over_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
    assert sign("k", 1700000000, b"{}") == f"sha256={expected}"


async def test_no_secret_no_signature(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(f"{base}/hook")
    try:
        await notifier.send_alert(sample_alert(), "default")
    finally:
        await notifier.close()
    assert "x-dartwatch-signature" not in app.requests[0].headers
    assert notifier.secrets() == [f"{base}/hook"]  # the URL itself is a secret


async def test_slack_mode_payload(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(f"{base}/slack", mode="slack")
    try:
        await notifier.send_alert(sample_alert(correction=True), "default", lang="en")
        await notifier.send_digest(sample_digest(), "default")
        await notifier.send_text("a <b> & c", "default")
    finally:
        await notifier.close()
    alert, digest, text = (r.json() for r in app.requests)
    assert [b["type"] for b in alert["blocks"]] == ["header", "section", "actions"]
    assert alert["blocks"][0]["text"]["text"] == "네이버 · 주요사항보고서(유상증자결정)"
    assert "*⚠ Correction*" in alert["blocks"][1]["text"]["text"]
    assert alert["text"].startswith("[Correction] 네이버")
    assert digest["blocks"][0]["type"] == "header" and digest["text"] == sample_digest().subject
    assert text == {"text": "a &lt;b&gt; &amp; c"}


async def test_discord_mode_payload(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(f"{base}/discord", mode="discord", lang="en")
    try:
        await notifier.send_alert(sample_alert(), "default", lang="ko")
        await notifier.send_text("@everyone hi", "default")
    finally:
        await notifier.close()
    alert, text = (r.json() for r in app.requests)
    embed = alert["embeds"][0]
    assert embed["url"].endswith("rcpNo=20260105000123")
    assert embed["fields"][0]["name"] == "K-AI Team"  # WEBHOOK_LANG=en wins
    assert alert["allowed_mentions"] == {"parse": []}
    assert text["allowed_mentions"] == {"parse": []}


# --- classification ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "error", "retry"),
    [
        ("/status/500", TransientError, None),
        ("/status/502", TransientError, None),
        ("/status/503?retry_after=7", TransientError, 7.0),
        ("/status/429?retry_after=3", TransientError, 3.0),
        ("/status/429", TransientError, None),
        ("/status/408", TransientError, None),
        ("/status/410", DestinationGone, None),
        ("/status/404", DestinationGone, None),
        ("/status/400", PermanentError, None),
        ("/status/401", PermanentError, None),
        ("/status/403", PermanentError, None),
        ("/status/301", PermanentError, None),
        ("/status/200", None, None),
        ("/status/204", None, None),
    ],
)
async def test_http_status_classification(
    server: tuple[Receiver, str], path: str, error: type[NotifierError] | None, retry: float | None
) -> None:
    _, base = server
    url, _, query = path.partition("?")
    notifier = make(f"{base}{url}/{TOKEN}" + (f"?{query}" if query else ""))
    try:
        if error is None:
            await notifier.send_alert(sample_alert(), "default")
            return
        with pytest.raises(error) as err:
            await notifier.send_alert(sample_alert(), "default")
    finally:
        await notifier.close()
    assert type(err.value) is error
    assert str(err.value).startswith("webhook 127.0.0.1: HTTP ")
    assert TOKEN not in str(err.value) and "SeCrEt" not in str(err.value)
    if isinstance(err.value, TransientError):
        assert err.value.retry_after == retry


async def test_timeout_is_transient(server: tuple[Receiver, str]) -> None:
    _, base = server
    notifier = make(f"{base}/slow/{TOKEN}?seconds=3", timeout_seconds=0.2)
    try:
        started = time.monotonic()
        with pytest.raises(TransientError, match=r"^webhook 127.0.0.1: timed out$"):
            await notifier.send_alert(sample_alert(), "default")
        assert time.monotonic() - started < 2.5  # did not wait for the 3 s answer
    finally:
        await notifier.close()


async def test_refused_connection_is_transient() -> None:
    notifier = make(f"http://127.0.0.1:{free_port()}/{TOKEN}")
    try:
        with pytest.raises(TransientError) as err:
            await notifier.send_alert(sample_alert(), "default")
        with pytest.raises(TransientError):
            await notifier.health()
    finally:
        await notifier.close()
    assert str(err.value).startswith("webhook 127.0.0.1: ConnectError")
    assert TOKEN not in str(err.value)


async def test_health_reports_reachability(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(f"{base}/hook")
    try:
        assert await notifier.health() == "ok (webhook 127.0.0.1 reachable, HTTP 200 to HEAD)"
    finally:
        await notifier.close()
    assert [r.method for r in app.requests] == ["HEAD"]  # health never posts a message


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, None),
        ("", None),
        ("12", 12.0),
        ("1.5", 1.5),
        ("-3", 0.0),
        ("999999", 3600.0),
        ("Mon, 05 Jan 2026 00:00:30 GMT", 30.0),
        ("garbage", None),
    ],
)
def test_retry_after_parsing(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 1, 5, 0, 0, 0, tzinfo=UTC)
    assert retry_after(header, now) == expected


async def test_client_is_reused_and_closed(server: tuple[Receiver, str]) -> None:
    _, base = server
    notifier = make(f"{base}/hook")
    await notifier.send_text("a", "default")
    client = notifier._client
    await notifier.send_text("b", "default")
    assert notifier._client is client and isinstance(client, httpx.AsyncClient)
    await notifier.close()
    assert client.is_closed and notifier._client is None


def test_docs_verification_snippet_agrees_with_the_signer() -> None:
    """Docs as tests: the receiver-side snippet of docs/notifiers.md accepts what we sign."""
    import re
    from pathlib import Path

    doc = Path(__file__).resolve().parents[1] / "docs" / "notifiers.md"
    text = doc.read_text(encoding="utf-8")
    section = text.split("## Webhook payloads and signatures", 1)[1].split("## Writing a plugin")[0]
    (snippet,) = [
        b for b in re.findall(r"```python\n(.*?)```", section, re.DOTALL) if "def verify(" in b
    ]
    namespace: dict[str, object] = {}
    exec(compile(snippet, "docs/notifiers.md", "exec"), namespace)
    verify = namespace["verify"]
    body = '{"type":"alert","alert":{"corp_name":"네이버"}}'.encode()
    timestamp = str(int(time.time()))
    signature = sign(SECRET, timestamp, body)
    assert verify(SECRET, body, timestamp, signature) is True  # type: ignore[operator]
    assert verify(SECRET, body + b" ", timestamp, signature) is False  # type: ignore[operator]
    old = str(int(time.time()) - 3600)
    assert verify(SECRET, body, old, sign(SECRET, old, body)) is False  # type: ignore[operator]

"""The Apprise notifier through Apprise's own ``json://`` service to a local HTTP
receiver on 127.0.0.1: one destination per URL, Markdown bodies, failures transient."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from monitor.core.loopback import free_port, serve_in_thread
from notifiers.apprise_notifier import AppriseNotifier, AppriseSettings, destination_name
from notifiers.base import DestinationGone, TransientError
from tests.helpers.notifier import (
    Receiver,
    clean_notifier_env,  # noqa: F401  (fixture)
    sample_alert,
    sample_digest,
)

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


def make(*urls: str, **settings: object) -> AppriseNotifier:
    return AppriseNotifier(
        AppriseSettings(urls=[SecretStr(u) for u in urls], timeout_seconds=5, **settings)  # type: ignore[arg-type]
    )


def _json_url(base: str, path: str) -> str:
    return base.replace("http://", "json://") + path


async def test_alert_reaches_the_service(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(_json_url(base, "/hook-a"))
    (dest,) = notifier.destinations()
    assert dest.startswith("json-") and base not in dest
    await notifier.send_alert(sample_alert(correction=True), dest, lang="ko")
    (req,) = app.requests
    assert req.method == "POST" and req.path == "/hook-a"
    body = req.json()
    assert body["title"].startswith("[dartwatch] [정정 공시] 네이버")
    assert "AI 관련도: 73/100" in body["message"]
    assert "rcpNo=20260105000123" in body["message"]
    assert len(body["message"]) <= AppriseNotifier.max_message_chars  # type: ignore[operator]


async def test_each_url_is_its_own_destination(server: tuple[Receiver, str]) -> None:
    app, base = server
    notifier = make(_json_url(base, "/hook-a"), _json_url(base, "/hook-b"), lang="en")
    first, second = notifier.destinations()
    assert first != second
    await notifier.send_alert(sample_alert(), second, lang="ko")
    await notifier.send_digest(sample_digest(), first)
    await notifier.send_text("공지", second)
    assert [r.path for r in app.requests] == ["/hook-b", "/hook-a", "/hook-b"]
    assert "View on DART" in app.requests[0].json()["message"]  # APPRISE_LANG=en
    assert app.requests[1].json()["title"] == sample_digest().subject
    assert app.requests[1].json()["message"] == sample_digest().markdown
    assert app.requests[2].json()["message"] == "공지"
    assert await notifier.health() == "ok (2 services: json)"


@pytest.mark.parametrize("path", ["/status/500", "/status/404", "/status/400"])
async def test_service_failure_is_transient(server: tuple[Receiver, str], path: str) -> None:
    _, base = server
    notifier = make(_json_url(base, path))
    (dest,) = notifier.destinations()
    with pytest.raises(TransientError, match=rf"^apprise {dest}: notification failed") as err:
        await notifier.send_alert(sample_alert(), dest)
    assert "127.0.0.1" not in str(err.value)  # the URL (and any token in it) stays out


async def test_refused_connection_is_transient() -> None:
    notifier = make(f"json://127.0.0.1:{free_port()}/x")
    (dest,) = notifier.destinations()
    with pytest.raises(TransientError):
        await notifier.send_alert(sample_alert(), dest)


async def test_removed_url_is_a_gone_destination() -> None:
    notifier = make("json://127.0.0.1:9/x")
    old = destination_name("json://127.0.0.1:9/old")
    with pytest.raises(DestinationGone, match="no longer in APPRISE_URLS"):
        await notifier.send_alert(sample_alert(), old)


def test_urls_are_secrets_and_names_are_stable() -> None:
    url = "ntfy://user:hunter2@ntfy.example.com/topic"
    notifier = make(url, "json://127.0.0.1:9/x")
    assert notifier.secrets() == [url, "json://127.0.0.1:9/x"]
    assert notifier.destinations()[0] == destination_name(url)
    assert "hunter2" not in destination_name(url)
    assert AppriseSettings(urls="a://x, b://y c://z").urls[2].get_secret_value() == "c://z"  # type: ignore[arg-type]

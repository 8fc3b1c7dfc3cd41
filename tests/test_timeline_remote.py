"""TIMELINE_URL: the curated timeline fetched over a loopback HTTP server with the real
httpx client — conditional GET, validation, the last good copy kept through invalid
files and outages, and the operator's own records winning over the remote ones."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.core.settings import ConfigError, load_settings
from monitor.kai.remote import MAX_BYTES, refresh
from monitor.kai.timeline import load_timeline, timeline_for
from monitor.kai.timeline.queries import status_at

REMOTE = b"""
[[records]]
milestone = "stage2-result"
date = "2026-08-07"
outcome_ko = "PLACEHOLDER remote outcome"
teams = { motif = "eliminated" }
sources = ["https://example.com/remote-a", "https://example.com/remote-b"]
"""


class TimelineServer:
    """Serves ``body`` with an ETag; answers 304 to a matching If-None-Match."""

    def __init__(self) -> None:
        self.body = REMOTE
        self.status = 200
        self.requests: list[dict[str, str]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(headers)
        etag = f'"{hash(self.body) & 0xFFFFFFFF:x}"'
        if self.status == 200 and headers.get("if-none-match") == etag:
            await send({"type": "http.response.start", "status": 304, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        out = [(b"etag", etag.encode()), (b"content-type", b"application/toml")]
        await send({"type": "http.response.start", "status": self.status, "headers": out})
        await send({"type": "http.response.body", "body": self.body})


@pytest.fixture
def server() -> Iterator[tuple[TimelineServer, str]]:
    app = TimelineServer()
    with serve_in_thread(app) as url:
        yield app, f"{url}/timeline.toml"


async def test_fetch_validate_cache_and_conditional_get(
    server: tuple[TimelineServer, str], tmp_path: Path
) -> None:
    app, url = server
    cache = tmp_path / "cache" / "remote.toml"
    first = await refresh(url, cache, None)
    assert (first.ok, first.changed) == (True, True) and cache.read_bytes() == REMOTE
    again = await refresh(url, cache, None)
    assert (again.ok, again.changed, again.message) == (True, False, "TIMELINE_URL not modified")
    assert app.requests[-1].get("if-none-match")
    settings = load_settings(TIMELINE_URL=url, TIMELINE_CACHE_FILE=str(cache))
    timeline = timeline_for(settings)
    m = timeline.milestone_by_id["stage2-result"]
    assert m.outcome is not None and status_at(m, date(2026, 11, 30)) == "confirmed"


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"[[milestones]\n", 200, "invalid"),
        (REMOTE.replace(b"motif", b"kakao"), 200, "unknown team 'kakao'"),
        (b"\xff\xfe not text", 200, "not UTF-8"),
        (b"x" * (MAX_BYTES + 10), 200, "unreachable"),
        (b"oops", 503, "answered 503"),
    ],
    ids=["toml-syntax", "unknown-team", "not-utf8", "oversized", "server-error"],
)
async def test_a_bad_answer_keeps_the_last_good_copy(
    server: tuple[TimelineServer, str], tmp_path: Path, body: bytes, status: int, words: str
) -> None:
    app, url = server
    cache = tmp_path / "remote.toml"
    assert (await refresh(url, cache, None)).changed
    app.body, app.status = body, status
    result = await refresh(url, cache, None)
    assert not result.ok and not result.changed and words in result.message, result.message
    assert cache.read_bytes() == REMOTE


async def test_unreachable_server_keeps_the_copy(tmp_path: Path) -> None:
    app = TimelineServer()
    cache = tmp_path / "remote.toml"
    with serve_in_thread(app) as base:
        assert (await refresh(f"{base}/t.toml", cache, None)).changed
    result = await refresh(f"{base}/t.toml", cache, None)  # the server is gone
    assert not result.ok and "unreachable" in result.message and cache.read_bytes() == REMOTE


async def test_local_records_win_over_the_remote_file(
    server: tuple[TimelineServer, str], tmp_path: Path
) -> None:
    _, url = server
    cache = tmp_path / "remote.toml"
    local = tmp_path / "mine.toml"
    local.write_text(
        '[[records]]\nmilestone = "stage2-result"\ndate = "2026-08-08"\n'
        'outcome_ko = "PLACEHOLDER local outcome"\nteams = { motif = "advanced" }\n'
        'sources = ["https://example.com/local"]\n',
        encoding="utf-8",
    )
    assert (await refresh(url, cache, local)).changed
    timeline = load_timeline(local, remote=cache)
    outcome = timeline.milestone_by_id["stage2-result"].outcome
    assert outcome is not None and outcome.ko == "PLACEHOLDER local outcome"
    motif = [c for c in timeline.status_changes if c.team == "motif"][-1]
    assert motif.status == "active"


def test_timeline_url_must_be_https() -> None:
    with pytest.raises(ConfigError, match=r"TIMELINE_URL: .*https://"):
        load_settings(TIMELINE_URL="http://example.com/timeline.toml")
    assert load_settings(TIMELINE_URL="https://example.com/t.toml").timeline_url
    assert load_settings(TIMELINE_URL="").timeline_url is None
    with pytest.raises(ConfigError, match="TIMELINE_REFRESH_HOURS"):
        load_settings(TIMELINE_REFRESH_HOURS="0")

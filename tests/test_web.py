"""The web desk over a real socket, on SQLite and on PostgreSQL: every page, search
narrowing by each filter (Korean substrings through FTS5 trigram / pg_trgm), the
filing page, the token gate, Atom feeds read by a feed parser, digest downloads."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import feedparser
import httpx
import pytest
from sqlalchemy import create_engine, text

from monitor.core.loopback import free_port, serve_in_thread
from monitor.fakedart.server import FakeDart
from storage.db import Database, sync_url
from storage.filings import SUPPRESSED, upsert_filings
from storage.migrate import upgrade_sync
from tests.conftest import TEST_KEY, fresh_database_url
from tests.helpers.daemon import daemon_env, running_daemon, stop, wait_for
from tests.helpers.web import TOKEN, _record, dataset, desk_settings, seed, served

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def history(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, Any]]]:
    """A seeded database, shared by the module's read-only tests."""
    with fresh_database_url(request.param, tmp_path_factory.mktemp("web")) as url:
        upgrade_sync(url)

        async def fill() -> dict[str, Any]:
            db = Database(url)
            try:
                return await seed(db)
            finally:
                await db.dispose()

        yield url, asyncio.run(fill())


@pytest.fixture(scope="module")
def desk(history: tuple[str, dict[str, Any]]) -> Iterator[str]:
    with served(desk_settings(history[0])) as url:
        yield url


def get(base: str, path: str, **params: Any) -> httpx.Response:
    return httpx.get(base + path, params=params or None, timeout=30, follow_redirects=False)


def results(base: str, **params: Any) -> list[dict[str, Any]]:
    r = get(base, "/search", format="json", per_page=200, **params)
    assert r.status_code == 200, r.text
    rows: list[dict[str, Any]] = r.json()["results"]
    return rows


def test_every_page_answers(desk: str, history: tuple[str, dict[str, Any]]) -> None:
    facts = history[1]
    row = facts["rows"][0]
    for path in (
        "/",
        "/search",
        "/companies",
        f"/companies/{row.corp_code}",
        f"/filings/{row.rcept_no}",
        "/timeline",
        "/digests",
        "/digests/2026-11-27",
    ):
        r = get(desk, path)
        assert r.status_code == 200, (path, r.text[:300])
        assert r.headers["content-type"].startswith("text/html")
        assert "Content-Security-Policy" in r.headers


def test_korean_substring_search_long_and_short_terms(desk: str) -> None:
    # Three or more characters: the trigram index; two: the LIKE path. Both must
    # find a word inside a compound (no spaces around it in the title).
    for term in ("공급계약", "계약"):
        rows = results(desk, q=term)
        assert rows, term
        assert all(term in r["report_nm"] or term in (r["flr_nm"] or "") for r in rows)
    everything = results(desk)
    assert len(results(desk, q="계약")) < len(everything)


def test_search_terms_are_anded_and_case_insensitive(desk: str) -> None:
    both = results(desk, q="단일판매 공급계약")
    assert both and all("단일판매" in r["report_nm"] and "공급계약" in r["report_nm"] for r in both)
    rows = results(desk, q="naver")
    assert rows and all("naver" in (r["corp_name"] + (r["flr_nm"] or "")).lower() for r in rows)


def test_filters_narrow_as_typed(desk: str, history: tuple[str, dict[str, Any]]) -> None:
    facts = history[1]
    everything = results(desk)
    dated = results(desk, **{"from": "2026-01-01", "to": "2026-01-31"})
    assert dated and len(dated) < len(everything)
    assert all("2026-01-01" <= r["rcept_dt"] <= "2026-01-31" for r in dated)
    ai = results(desk, ai="yes")
    assert {r["rcept_no"] for r in ai} == {m.rcept_no for m in facts["ai"]}
    high = results(desk, min_relevance=40)
    assert high and all(r["relevance"] >= 40 for r in high)
    amended = results(desk, amended="yes")
    flagged = set(facts["amended"]) | {r.rcept_no for r in facts["rows"] if "정" in r.rm}
    assert {r["rcept_no"] for r in amended} == flagged
    category = everything[0]["category"]
    same = results(desk, category=category)
    assert same and all(r["category"] == category for r in same)
    team_row = next(r for r in everything if r["team"])
    team = results(desk, team=team_row["team"])
    assert team and all(r["team"] == team_row["team"] for r in team)


def test_company_in_any_name_form(desk: str, history: tuple[str, dict[str, Any]]) -> None:
    row = history[1]["rows"][0]
    by_code = {r["rcept_no"] for r in results(desk, company=row.corp_code)}
    assert by_code
    for form in (row.corp_name, row.corp_name.lower(), row.stock_code):
        assert {r["rcept_no"] for r in results(desk, company=form)} == by_code, form
    fallback = get(desk, "/search", company="없는회사이름", format="json").json()
    assert fallback["company_fallback"] is True and fallback["results"] == []


def test_pagination_walks_the_whole_result(desk: str) -> None:
    seen: list[str] = []
    page = 1
    while True:
        r = get(desk, "/search", format="json", q="공시", per_page=20, page=page).json()
        seen.extend(x["rcept_no"] for x in r["results"])
        if not r["has_next"]:
            break
        page += 1
    assert page > 1
    assert len(seen) == len(set(seen))
    assert seen == [r["rcept_no"] for r in results(desk, q="공시")]
    html = get(desk, "/search", q="공시", per_page=20, page=2).text
    assert 'rel="prev"' in html and "page=3" in html


def test_filing_page_explains_and_counts_deliveries_without_chat_ids(
    desk: str, history: tuple[str, dict[str, Any]]
) -> None:
    facts = history[1]
    rcept_no = facts["delivered"]
    data = get(desk, f"/filings/{rcept_no}", format="json").json()
    match = facts["matches"][rcept_no]
    assert data["match"]["relevance"] == match.relevance
    assert [r["points"] for r in data["match"]["reasons"]] == [r["points"] for r in match.reasons]
    counts = {(d["notifier"], d["status"]): d["count"] for d in data["deliveries"]}
    assert counts == {("telegram", "sent"): 2, ("telegram", "dead"): 1, ("console", "sent"): 1}
    html = get(desk, f"/filings/{rcept_no}").text
    for reason in match.reasons:
        assert reason["en"] in html
    assert "900000" not in html and "900000" not in str(data)
    assert "No summary of this filing is known" in html


def test_amendment_chain_links_original_and_correction(
    desk: str, history: tuple[str, dict[str, Any]]
) -> None:
    original = history[1]["amended"][0]
    data = get(desk, f"/filings/{original}", format="json").json()
    chain = data["chain"]
    assert chain[0]["rcept_no"] == original and chain[0]["current"]
    assert len(chain) >= 2
    assert all(c["report_nm"].startswith("[기재정정]") for c in chain[1:])
    assert [c["rcept_no"] for c in chain] == sorted(c["rcept_no"] for c in chain)
    # The correction's own page shows the same chain.
    again = get(desk, f"/filings/{chain[1]['rcept_no']}", format="json").json()["chain"]
    assert [c["rcept_no"] for c in again] == [c["rcept_no"] for c in chain]
    assert any(e["kind"] == "amended" and e["new_rm"].endswith("정") for e in data["events"])


def test_company_page_has_monthly_chart_and_team(
    desk: str, history: tuple[str, dict[str, Any]]
) -> None:
    rows = history[1]["rows"]
    code = rows[0].corp_code
    data = get(desk, f"/companies/{code}", format="json").json()
    assert sum(m["filings"] for m in data["months"]) == sum(r.corp_code == code for r in rows)
    html = get(desk, f"/companies/{code}").text
    assert "<svg" in html and html.count("<rect") >= len(data["months"])
    unknown = get(desk, "/companies/99999999")
    assert unknown.status_code == 404


def test_timeline_marks_overdue_and_lists_nearby_filings(desk: str) -> None:
    data = get(desk, "/timeline", format="json").json()
    assert data["milestones"]
    for m in data["milestones"]:
        if m["overdue"]:
            assert m["status"] != "confirmed" and m["last_day"] < data["today"]
    assert any(m["near"] for m in data["milestones"])


def test_language_toggle_sets_a_cookie(desk: str) -> None:
    with httpx.Client(base_url=desk) as client:
        assert "Search filings" in client.get("/search").text
        assert "공시 검색" in client.get("/search", params={"lang": "ko"}).text
        assert "공시 검색" in client.get("/search").text


def test_atom_feeds_parse_with_required_elements(
    desk: str, history: tuple[str, dict[str, Any]]
) -> None:
    code = history[1]["rows"][0].corp_code
    for path, params in (
        ("/feeds/all.atom", {}),
        ("/feeds/ai.atom", {}),
        (f"/feeds/companies/{code}.atom", {}),
        ("/feeds/search.atom", {"q": "계약", "min_relevance": "10"}),
    ):
        r = get(desk, path, **params)
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/atom+xml")
        feed = feedparser.parse(r.content)
        assert not feed.bozo, (path, feed.get("bozo_exception"))
        assert feed.version == "atom10"
        assert feed.feed.id and feed.feed.title and feed.feed.updated
        assert feed.entries, path
        for entry in feed.entries:
            assert entry.id and entry.title and entry.updated and entry.summary
            assert entry.link.startswith(desk + "/filings/")
            assert "dart.fss.or.kr/dsaf001/main.do?rcpNo=" in entry.content[0].value
            assert re.search(r"relevance \d+/100", entry.summary)
    ai = feedparser.parse(get(desk, "/feeds/ai.atom").content)
    assert {e.id.rsplit(":", 1)[1] for e in ai.entries} <= {m.rcept_no for m in history[1]["ai"]}


def test_digest_downloads(desk: str) -> None:
    csv_body = get(desk, "/digests/2026-11-27.csv")
    assert csv_body.status_code == 200
    assert csv_body.content.startswith(b"\xef\xbb\xbf")
    assert "rcept_no" in csv_body.content.decode("utf-8-sig").splitlines()[0]
    xlsx = get(desk, "/digests/2026-11-27.xlsx")
    assert xlsx.status_code == 200
    with zipfile.ZipFile(io.BytesIO(xlsx.content)) as book:
        names = book.namelist()
        workbook = book.read("xl/workbook.xml").decode()
        counts = book.read("xl/worksheets/sheet1.xml").decode()
    assert sum(n.startswith("xl/worksheets/sheet") for n in names) == 5
    for sheet in ("counts", "ai_related", "corrections", "filings", "trend"):
        assert f'name="{sheet}"' in workbook
    # Numbers are number cells (no t="s"/"str"), not text.
    assert re.search(r'<c r="D2"[^>]*><v>\d+</v></c>', counts)
    for fmt in ("html", "md", "text", "json"):
        r = get(desk, f"/digests/2026-11-27.{fmt}")
        assert r.status_code == 200 and r.content, fmt
        assert "attachment" in r.headers["content-disposition"]
    assert get(desk, "/digests/2026-11-28").status_code == 400  # a Saturday


def test_search_index_follows_title_changes(db_url: str) -> None:
    """The SQLite triggers (and PostgreSQL's own index upkeep) keep search in step when
    OpenDART corrects a stored title."""
    row = dataset()[0]

    async def store(title: str) -> None:
        db = Database(db_url)
        try:
            async with db.session() as session:
                record = replace(_record(row), report_nm=title)
                await upsert_filings(session, [record], alert_state=SUPPRESSED)
        finally:
            await db.dispose()

    settings = desk_settings(db_url)
    asyncio.run(store("인공지능반도체투자결정"))
    with served(settings) as url:
        assert [r["rcept_no"] for r in results(url, q="지능반도")] == [row.rcept_no]
    asyncio.run(store("타법인주식취득결정"))
    with served(settings) as url:
        assert results(url, q="지능반도") == []
        assert [r["rcept_no"] for r in results(url, q="주식취득")] == [row.rcept_no]


def test_token_gate(history: tuple[str, dict[str, Any]]) -> None:
    settings = desk_settings(history[0], WEB_TOKEN=TOKEN)
    with served(settings) as url:
        r = get(url, "/search")
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next=")
        assert get(url, "/feeds/all.atom").status_code == 401
        assert get(url, "/search", format="json").status_code == 401
        assert get(url, "/feeds/all.atom", token="wrong-token-wrong-token").status_code == 401
        assert get(url, "/feeds/all.atom", token=TOKEN).status_code == 200
        # ?token= opens feeds and JSON, not the HTML pages (they use the cookie).
        assert get(url, "/search", token=TOKEN).status_code == 303
        bearer = httpx.get(
            url + "/search?format=json", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert bearer.status_code == 200
        with httpx.Client(base_url=url) as client:
            wrong = client.post("/login", data={"token": "nope", "next": "/search"})
            assert wrong.status_code == 401 and "not right" in wrong.text
            ok = client.post("/login", data={"token": TOKEN, "next": "/search"})
            assert ok.status_code == 303 and ok.headers["location"] == "/search"
            assert TOKEN not in ok.headers.get("set-cookie", "")
            assert client.get("/search").status_code == 200
            assert client.post("/logout").status_code == 303
            assert client.get("/search").status_code == 303
        evil = httpx.post(url + "/login", data={"token": TOKEN, "next": "https://evil.example/"})
        assert evil.headers["location"] == "/"


def test_non_loopback_without_token_refuses_to_start(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "web", "--listen", "0.0.0.0:8080"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEB_TOKEN" in lines[0]
    bad = subprocess.run(
        [sys.executable, "-m", "monitor", "web"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "WEB_LISTEN": "nonsense"},
        timeout=60,
    )
    assert bad.returncode == 2 and "WEB_LISTEN" in bad.stderr


@pytest.mark.slow
def test_the_daemon_serves_the_desk_when_web_listen_is_set(tmp_path: Path) -> None:
    """`dartwatch run` with WEB_LISTEN: the desk answers on the daemon's loop and
    database, and SIGTERM still stops everything cleanly (exit 0)."""
    port = free_port()
    fake = FakeDart(keys={TEST_KEY}, dataset=False, noise_per_day=20)
    with serve_in_thread(fake) as dart_url:
        env = daemon_env(
            dart_url=dart_url,
            database_url=f"sqlite:///{tmp_path / 'daemon.db'}",
            extra={"NOTIFIERS": "console", "WEB_LISTEN": f"127.0.0.1:{port}"},
        )
        with running_daemon(env, tmp_path / "daemon.log") as proc:

            def answers() -> bool:
                try:
                    return httpx.get(f"http://127.0.0.1:{port}/search", timeout=2).is_success
                except httpx.TransportError:
                    return False

            wait_for(answers, 30, "the web desk to answer")
            # The daemon stores the watchlist at start: the desk reads the same database.
            listed = httpx.get(f"http://127.0.0.1:{port}/companies?format=json").json()
            assert len(listed["companies"]) >= 5
            assert httpx.get(f"http://127.0.0.1:{port}/?format=json").is_success
            assert stop(proc) == 0
    log = (tmp_path / "daemon.log").read_text()
    assert "web desk on http://127.0.0.1" in log and "Traceback" not in log


def test_run_refuses_a_public_desk_without_a_token(tmp_path: Path) -> None:
    env = daemon_env(
        dart_url="http://127.0.0.1:9",
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        extra={"WEB_LISTEN": "0.0.0.0:8080"},
    )
    proc = subprocess.run(
        [sys.executable, "-m", "monitor", "run"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "WEB_TOKEN" in lines[0]


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_upgrading_a_populated_database_indexes_its_filings(kind: str, tmp_path: Path) -> None:
    """Deployments hold filings from before the search index: the migration indexes them."""
    with fresh_database_url(kind, tmp_path) as url:
        upgrade_sync(url, "0001")
        row = dataset()[0]
        # Today's models have columns revision 0001 lacks: the old schema gets plain SQL.
        engine = create_engine(sync_url(url))
        try:
            with engine.begin() as conn:
                conn.execute(
                    text(
                        "INSERT INTO filings (rcept_no, corp_code, corp_name, stock_code, "
                        "corp_cls, report_nm, flr_nm, rcept_dt, rm, first_seen_at, updated_at, "
                        "amended, withdrawn, source, alert_state) VALUES (:rcept_no, "
                        ":corp_code, :corp_name, :stock_code, :corp_cls, :report_nm, :flr_nm, "
                        ":rcept_dt, :rm, :now, :now, false, false, 'list', :state)"
                    ),
                    {
                        "rcept_no": row.rcept_no,
                        "corp_code": row.corp_code,
                        "corp_name": row.corp_name,
                        "stock_code": row.stock_code or None,
                        "corp_cls": row.corp_cls,
                        "report_nm": "인공지능반도체공급계약",
                        "flr_nm": row.flr_nm,
                        "rcept_dt": row.rcept_dt,
                        "rm": row.rm,
                        "now": datetime.now(UTC),
                        "state": SUPPRESSED,
                    },
                )
        finally:
            engine.dispose()
        upgrade_sync(url)
        with served(desk_settings(url)) as base:
            assert [r["rcept_no"] for r in results(base, q="반도체공급")] == [row.rcept_no]

"""The watchlist data file (validation with clear errors, user extension) and name
resolution (aliases, codes, ambiguity listing the candidates)."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.ingest.companies import (
    AmbiguousCompany,
    CorpRecord,
    UnknownCompany,
    WatchlistError,
    company_rows,
    load_watchlist,
    parse_watchlist,
    resolve_company,
    resolve_in,
)
from storage import corpcodes
from storage.db import Database

NAVER, SKT, SK, LG, NC, OLD_SK = (
    "00266961",
    "00159023",
    "00181712",
    "00120021",
    "00261443",
    "00144155",
)


def test_bundled_watchlist_watches_the_five_companies() -> None:
    wl = load_watchlist()
    assert sorted(e.corp_code for e in wl.watched) == sorted([NAVER, SKT, SK, LG, NC])
    assert {e.stock_code for e in wl.companies} == {
        "035420",
        "017670",
        "034730",
        "003550",
        "036570",
    }
    assert wl.partners and not any(p.watch for p in wl.partners)
    assert all(p.stock_code and p.team for p in wl.partners)


@pytest.mark.parametrize(
    ("alias", "corp_code"),
    [
        ("네이버", NAVER),
        ("NAVER", NAVER),
        ("naver", NAVER),
        ("SK텔레콤", SKT),
        ("SKT", SKT),
        ("SK Telecom", SKT),
        ("sk  telecom", SKT),
        ("에스케이텔레콤", SKT),
        ("SK Inc.", SK),
        ("SK주식회사", SK),
        ("에스케이", SK),
        ("LG", LG),
        ("(주)LG", LG),
        ("LG Corp.", LG),
        ("엘지", LG),
        ("엔씨소프트", NC),
        ("NCSOFT", NC),
        ("NC", NC),
        ("엔씨", NC),
        ("035420", NAVER),
        ("00159023", SKT),
    ],
)
def test_aliases_and_codes_resolve(alias: str, corp_code: str) -> None:
    assert resolve_in(alias, load_watchlist()).require().corp_code == corp_code


def test_sk_is_ambiguous_and_lists_both_candidates() -> None:
    resolution = resolve_in("SK", load_watchlist())
    assert resolution.ambiguous
    assert [c.corp_code for c in resolution.candidates] == [SK, OLD_SK]  # watched first
    with pytest.raises(AmbiguousCompany) as caught:
        resolution.require()
    message = str(caught.value)
    assert SK in message and OLD_SK in message and "034730" in message and "003600" in message
    assert caught.value.exit_code == 2


def test_unknown_name_and_corpcode_registry() -> None:
    wl = load_watchlist()
    with pytest.raises(UnknownCompany):
        resolve_in("없는회사", wl).require()
    registry = [
        CorpRecord("00126380", "삼성전자", "005930", "SAMSUNG ELECTRONICS CO,.LTD"),
        CorpRecord("00181712", "SK", "034730", "SK Inc."),
        CorpRecord("99000004", "크래프톤", "259960", "KRAFTON"),
    ]
    assert resolve_in("삼성전자", wl, registry).require().corp_code == "00126380"
    assert resolve_in("005930", wl, registry).require().corp_code == "00126380"
    # The watchlist names the partner by stock code; the registry supplies its corp code.
    krafton = resolve_in("KRAFTON", wl, registry).require()
    assert krafton.corp_code == "99000004" and not krafton.watched
    sk = resolve_in("SK Inc.", wl, registry).require()
    assert sk.corp_code == SK and set(sk.sources) == {"watchlist", "corpCode"}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[company]]\ncorp_code = "123"\nname = "X"\n',
            "[[company]] #1 (X): field 'corp_code' must be 8 digits",
        ),
        ('[[company]]\ncorp_code = "12345678"\n', "[[company]] #1: field 'name' is required"),
        (
            '[[company]]\ncorp_code = "12345678"\nname = "X"\nalias = ["y"]\n',
            "unknown field 'alias'",
        ),
        (
            '[[company]]\ncorp_code = "12345678"\nname = "X"\naliases = "y"\n',
            "field 'aliases' must be a list",
        ),
        (
            '[[company]]\ncorp_code = "12345678"\nname = "X"\nwatch = "yes"\n',
            "field 'watch' must be true or false",
        ),
        ('[[partner]]\nname = "X"\n', "[[partner]] #1 (X): field 'stock_code' is required"),
        ('[[partner]]\nname = "X"\nstock_code = "12"\n', "field 'stock_code' must be 6 characters"),
        (
            '[[namesake]]\ncorp_code = "12345678"\nname = "X"\nwatch = true\n',
            "a namesake cannot be watched",
        ),
        ("[[companies]]\nname = 1\n", "unknown top-level key 'companies'"),
        ("[[company]\n", "not valid TOML"),
        (
            '[[company]]\ncorp_code = "12345678"\nname = "A"\n'
            '[[company]]\ncorp_code = "12345678"\nname = "B"\n',
            "corp_code 12345678 appears twice (A, B)",
        ),
        (
            'replace = true\n[[company]]\ncorp_code = "12345678"\nname = "X"\nwatch = false\n',
            "watches no company",
        ),
    ],
)
def test_invalid_files_name_the_entry_and_field(tmp_path: Path, text: str, expected: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(WatchlistError) as caught:
        load_watchlist(path)
    assert expected in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(WatchlistError, match="WATCHLIST_FILE: cannot read"):
        load_watchlist(tmp_path / "nope.toml")


def test_user_file_extends_and_overrides(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
[[company]]
corp_code = "00126380"
stock_code = "005930"
name = "삼성전자"
aliases = ["삼성"]

[[partner]]
stock_code = "259960"
name = "크래프톤"
watch = true

[[company]]
corp_code = "00266961"
stock_code = "035420"
name = "NAVER"
watch = false
""",
    )
    wl = load_watchlist(path)
    watched = {e.corp_code or e.stock_code for e in wl.watched}
    assert watched == {SKT, SK, LG, NC, "00126380", "259960"}
    assert len([e for e in wl.partners if e.stock_code == "259960"]) == 1
    rows, unresolved = company_rows(wl)
    assert [e.stock_code for e in unresolved] == ["259960"]  # needs the corpCode cache
    rows, unresolved = company_rows(wl, [CorpRecord("99000004", "크래프톤", "259960")])
    assert unresolved == [] and any(r["corp_code"] == "99000004" and r["watched"] for r in rows)


def test_replace_ignores_the_bundled_list(tmp_path: Path) -> None:
    path = _write(
        tmp_path, 'replace = true\n[[company]]\ncorp_code = "00126380"\nname = "삼성전자"\n'
    )
    wl = load_watchlist(path)
    assert [e.corp_code for e in wl.entries] == ["00126380"]
    entries, replace = parse_watchlist("replace = true\n", "x")
    assert entries == [] and replace


async def test_resolution_through_the_corpcode_cache(sqlite_db: Database) -> None:
    await corpcodes.replace_all(
        sqlite_db,
        [
            {
                "corp_code": SK,
                "corp_name": "SK",
                "stock_code": "034730",
                "corp_eng_name": "SK Inc.",
            },
            {"corp_code": OLD_SK, "corp_name": "SK", "stock_code": "003600"},
            {"corp_code": "00126380", "corp_name": "삼성전자", "stock_code": "005930"},
        ],
    )
    wl = load_watchlist()
    assert (
        await resolve_company("삼성전자", db=sqlite_db, watchlist=wl)
    ).require().corp_code == "00126380"
    assert (await resolve_company("00126380", db=sqlite_db, watchlist=wl)).ok
    assert (await resolve_company("SK", db=sqlite_db, watchlist=wl)).ambiguous
    assert (await resolve_company("SKT", db=sqlite_db, watchlist=wl)).require().corp_code == SKT


def test_docs_watchlist_example_loads(tmp_path: Path) -> None:
    doc = Path(__file__).resolve().parents[1] / "docs" / "ingestion.md"
    section = doc.read_text(encoding="utf-8").split("## The watchlist file", 1)[1]
    example = section.split("```toml")[1].split("```")[0]
    wl = load_watchlist(_write(tmp_path, example))
    assert "00126380" in {e.corp_code for e in wl.watched}
    assert any(e.stock_code == "259960" and e.watch for e in wl.partners)
    assert resolve_in("SK", wl).ambiguous

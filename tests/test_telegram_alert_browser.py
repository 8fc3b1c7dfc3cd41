"""The alert as a phone shows it: the Telegram HTML the notifier sends, and its inline
keyboard, drawn as Telegram draws a bot message (a bubble on the chat background,
buttons under it) in headless Chromium at a phone's width.

Checked: no console error or failed load, every text the alert carries is on the page
and no raw tag is, the DART link is only a button. ``UPDATE_SCREENSHOT=1`` also
copies the picture to docs/telegram-alert.png (referenced from docs/telegram.md):

    UPDATE_SCREENSHOT=1 .venv/bin/pytest -q -m browser tests/test_telegram_alert_browser.py
"""

from __future__ import annotations

import html
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from telegram import InlineKeyboardMarkup

from notifiers.base import Alert, MilestoneRef, Reason
from notifiers.telegram_format import format_alert_html, format_held_html
from tests.helpers.browser import Browser, png_size

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_SCREENSHOT = Path(__file__).resolve().parent.parent / "docs" / "telegram-alert.png"
PHONE_WIDTH = 390  # CSS pixels of a common phone

FIRST_RESULT = "1차 평가 결과: LG AI연구원·SK텔레콤·업스테이지 통과, 네이버클라우드·NC AI 탈락"
ALERT = Alert(
    rcept_no="20260115800003",
    corp_code="00159023",
    corp_name="SK텔레콤",
    report_nm="단일판매ㆍ공급계약체결",
    rcept_dt="20260115",
    flr_nm="SK텔레콤",
    category_ko="주요사항·주요 경영사항",
    category_en="Major event",
    team="SK Telecom",
    team_ko="SK텔레콤",
    role="lead organisation",
    role_ko="주관기관",
    team_status="active",
    phase="Stage 1",
    phase_ko="1차 평가",
    phase_status="reported",
    milestone_before=MilestoneRef("2026-01-15", FIRST_RESULT, "Stage-1 result", 0, key=True),
    milestone_after=MilestoneRef(
        "2026-01-23", "1개 팀 추가 공모 (2월 12일까지)", "One more team invited", 8, key=True
    ),
    relevance=62,
    ai_related=True,
    reasons=(
        Reason(17, "공시 내용(체결계약명)의 AI 관련어: AI, GPU, 데이터센터", "AI terms"),
        Reason(15, f"핵심 일정 '{FIRST_RESULT}'(2026-01-15) 기간 중", "key milestone"),
        Reason(10, "본문의 AI 관련어: AI ×1, GPU ×1, 데이터센터 ×1", "AI terms in the body"),
        Reason(10, "SK텔레콤 팀 — 주관기관 (공시일 기준 진행 중)", "team"),
        Reason(8, "공시 유형: 주요사항·주요 경영사항", "type"),
    ),
    summary="4,648억원 공급계약 · 삼성전자 · 매출 대비 5.16% · 2026-01-15~2027-01-15",
)
HELD = (
    ALERT,
    Alert(
        "20260115800001",
        "00266961",
        "NAVER",
        "주요사항보고서(자기주식취득결정)",
        "20260115",
        relevance=21,
        summary="자사주 3,779,000주(6,727억원) 취득 · 장내매수",
    ),
    Alert(
        "20260115000456",
        "00120021",
        "LG",
        "임원ㆍ주요주주특정증권등소유상황보고서",
        "20260115",
        relevance=10,
    ),
)

STYLE = """
body { margin: 0; padding: 12px 10px 18px; background: #9bb8d3;
       font: 15px/1.38 "NanumGothic", "Noto Color Emoji", sans-serif; }
.note { color: #fff; font-size: 12px; text-align: center; margin: 14px 0 6px;
        text-shadow: 0 1px 1px rgba(0,0,0,.25); }
.message { max-width: 350px; }
.bubble { background: #fff; color: #000; border-radius: 12px 12px 12px 4px;
          padding: 7px 10px 6px; white-space: pre-wrap; overflow-wrap: anywhere;
          box-shadow: 0 1px 1px rgba(0,0,0,.18); }
.bubble a { color: #168acd; text-decoration: none; }
.time { display: block; text-align: right; color: #a0acb6; font-size: 11px; margin-top: 2px; }
.keyboard { display: flex; flex-direction: column; gap: 3px; margin-top: 3px; }
.row { display: flex; gap: 3px; }
.row > * { flex: 1; min-width: 0; position: relative; border: 0; border-radius: 8px;
           padding: 8px 6px; background: rgba(45, 80, 115, .38); color: #fff; font: inherit;
           font-size: 14px; font-weight: 600; text-align: center; text-decoration: none;
           white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.row > a::after { content: "↗"; position: absolute; top: 1px; right: 5px; font-size: 10px; }
"""


def _keyboard(markup: InlineKeyboardMarkup) -> str:
    rows = []
    for row in markup.inline_keyboard:
        cells = []
        for b in row:
            label = html.escape(b.text)
            if b.url:
                cells.append(f'<a href="{html.escape(b.url)}">{label}</a>')
            else:
                data = html.escape(str(b.callback_data))
                cells.append(f'<button type="button" data-callback="{data}">{label}</button>')
        rows.append(f'<div class="row">{"".join(cells)}</div>')
    return f'<div class="keyboard">{"".join(rows)}</div>'


def chat_page(messages: Sequence[tuple[str, str, InlineKeyboardMarkup]], lang: str) -> str:
    """A chat screen: each (note, Telegram HTML, keyboard) as a bot message. The text
    goes in as Telegram would take it: the HTML subset our formatter writes."""
    body = []
    for note, text, markup in messages:
        body.append(f'<div class="note">{html.escape(note)}</div>')
        body.append(
            f'<div class="message"><div class="bubble">{text}'
            f'<span class="time">07:00</span></div>{_keyboard(markup)}</div>'
        )
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>dartwatch alert</title><style>{STYLE}</style></head>"
        f"<body>{''.join(body)}</body></html>"
    )


NOTES = {
    "ko": ("새 공시 알림", "❓ 왜?를 누르면 같은 메시지가 펼쳐집니다", "방해 금지 시간이 끝나면"),
    "en": ("A new filing", "❓ Why? expands the same message", "When quiet hours end"),
}


@pytest.fixture
def browser(chromium: Any) -> Iterator[Browser]:
    chrome = Browser(chromium, width=PHONE_WIDTH)
    try:
        yield chrome
    finally:
        chrome.stop()


@pytest.mark.parametrize("lang", ["ko", "en"])
def test_the_alert_renders_on_a_phone(browser: Browser, tmp_path: Path, lang: str) -> None:
    folded, keys = format_alert_html(ALERT, lang)
    expanded, open_keys = format_alert_html(ALERT, lang, expanded=True)
    [(summary, summary_keys)] = format_held_html(HELD, lang)
    first, second, third = NOTES[lang]
    page = tmp_path / f"telegram-alert-{lang}.html"
    page.write_text(
        chat_page(
            [(first, folded, keys), (second, expanded, open_keys), (third, summary, summary_keys)],
            lang,
        ),
        encoding="utf-8",
    )
    report = browser.open(page.as_uri(), width=PHONE_WIDTH)
    assert report.errors == []

    bubbles = browser.evaluate("Array.from(document.querySelectorAll('.bubble'), b => b.innerText)")
    assert len(bubbles) == 3
    summary_line = ALERT.summary if lang == "ko" else ALERT.summary_for("en")
    assert bubbles[0].startswith(f"🔔 SK텔레콤 · {summary_line}")
    assert len(bubbles[0].strip().split("\n")) == 4  # three lines and the time
    assert "+17" not in bubbles[0] and "+17" in bubbles[1]
    assert all("<" not in b and "dart.fss" not in b for b in bubbles)  # no tag, no raw link
    assert all(f"{i}. " in bubbles[2] for i in (1, 2, 3))
    links = browser.evaluate("Array.from(document.links, a => a.href)")
    assert links == [ALERT.url, ALERT.url] + [a.url for a in HELD]
    callbacks = browser.evaluate(
        "Array.from(document.querySelectorAll('[data-callback]'), b => b.dataset.callback)"
    )
    assert len(callbacks) == 4 and all(len(c.encode()) <= 64 for c in callbacks)
    assert browser.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH

    shot = tmp_path / f"telegram-alert-{lang}.png"
    png = browser.screenshot(shot)
    width, height = png_size(png)
    assert width == PHONE_WIDTH and height > 600
    if lang == "ko" and os.environ.get("UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, DOCS_SCREENSHOT)

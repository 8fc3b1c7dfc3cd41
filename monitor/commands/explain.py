"""``dartwatch explain RCEPT_NO``: a stored filing and its match, every reason in
Korean and English."""

from __future__ import annotations

import argparse
import json
import re
from typing import TYPE_CHECKING, Any

from monitor.commands._help import Subparsers, command_help

if TYPE_CHECKING:
    from datetime import datetime

    from monitor.core.settings import Settings
    from monitor.kai.matcher import MatchResult
    from storage.db import Database
    from storage.models import Filing


def register(sub: Subparsers[argparse.ArgumentParser]) -> None:
    p: argparse.ArgumentParser = sub.add_parser(
        "explain",
        help="show a stored filing and why it scored what it did (ko + en)",
        **command_help(
            "Show a stored filing, its place on the K-AI timeline and every reason that "
            "added to (or took from) its relevance score, in Korean and English.",
            "dartwatch explain 20260310000123",
            "dartwatch explain 20260310000123 --format json",
            "dartwatch explain 20260310000123 --chat 123456789",
        ),
    )
    p.add_argument("rcept_no", metavar="RCEPT_NO", help="the 14-digit receipt number")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument(
        "--chat",
        type=int,
        metavar="CHAT_ID",
        help="also say whether this Telegram chat's filters let the filing through, and why",
    )
    p.set_defaults(handler="monitor.commands.explain:run")


def _offset(days: int) -> str:
    if days == 0:
        return "same day / 당일"
    if days < 0:
        return f"{-days} days before / {-days}일 전"
    return f"{days} days after / {days}일 후"


def _status(status: str, conflicting: bool = False) -> str:
    """``overdue (결과 미기록 (예정일 경과) / overdue — no result recorded)``."""
    from monitor.kai.timeline import bundled_timeline

    timeline = bundled_timeline()
    ko, en = (timeline.label("status", status, lang) for lang in ("ko", "en"))
    text = f"{status}: {ko} / {en}" if status in ("overdue", "cancelled") else status
    return f"{text}; 보도 엇갈림 / reports differ" if conflicting else text


def facts_json(facts: Any, changes: Any) -> dict[str, Any]:
    """What the filing says, as ``explain --format json`` prints it (the same ``summary``
    and ``facts`` as digest items and webhook alerts)."""
    from monitor.facts.summary import summarize

    if facts is None:
        return {
            "summary": None,
            "summary_en": None,
            "facts": {},
            "facts_status": {"status": "not_extracted", "reason": "no facts stored yet"},
            "fact_details": [],
            "corrects": None,
            "changes": [],
        }
    return {
        "summary": summarize(facts, "ko"),
        "summary_en": summarize(facts, "en"),
        "facts": facts.values() if facts.ok else {},
        "facts_status": {
            "status": facts.status,
            "reason": facts.reason,
            "family": facts.family,
            "source": facts.source,
        },
        "fact_details": facts.to_json(),
        "corrects": facts.corrects,
        "changes": [{"key": c.key, "label": c.label, "old": c.old, "new": c.new} for c in changes],
    }


def render_facts(data: dict[str, Any]) -> list[str]:
    status = data["facts_status"]
    lines = [
        "",
        f"Facts ({status['status']}" + (f": {status['reason']})" if status.get("reason") else ")"),
    ]
    if data["summary"]:
        lines.append(f"  summary:   {data['summary']}")
        lines.append(f"             {data['summary_en']}")
    for fact in data["fact_details"]:
        lines.append(
            f"  {fact['key']:<28} {fact['display']:<24} {fact['label']} [{fact['source']}]"
        )
    if data["corrects"]:
        lines.append(f"  corrects:  {data['corrects']}")
    for change in data["changes"]:
        lines.append(f"  changed:   {change['label']}: {change['old']} → {change['new']}")
    return lines


def render(
    filing: Filing, match: MatchResult, *, stored: bool, matched_at: datetime | None, current: str
) -> str:
    from notifiers.base import viewer_url

    d = filing.rcept_dt
    lines = [
        f"Filing {filing.rcept_no}",
        f"  company:  {filing.corp_name} (corp {filing.corp_code}"
        + (f", stock {filing.stock_code})" if filing.stock_code else ")"),
        f"  title:    {filing.report_nm.strip()}",
        f"  filer:    {filing.flr_nm or '-'}",
        f"  date:     {d[:4]}-{d[4:6]}-{d[6:8]}" + (f"  rm: {filing.rm}" if filing.rm else ""),
    ]
    seen = getattr(filing, "first_seen_at", None)
    if seen is not None:
        lines.append(f"  seen:     {seen.isoformat(timespec='seconds')}")
    lines.append(f"  viewer:   {viewer_url(filing.rcept_no)}")
    lines.append("")
    if stored:
        lines.append(
            f"Match (timeline {match.timeline_version}, matched {matched_at:%Y-%m-%d %H:%M} UTC)"
        )
        if match.timeline_version != current:
            lines.append(f"  ! the current timeline is {current}: run `dartwatch rematch`")
    else:
        lines.append(f"Match (not stored; computed now with timeline {current})")
    lines.append(f"  category:  {match.category_ko} / {match.category_en}")
    if match.team:
        status = match.team_status or "not yet in the project"
        if match.team_status_ko and match.team_status_en:
            status = f"{match.team_status_ko} / {match.team_status_en}"
        lines.append(
            f"  team:      {match.team_ko} / {match.team_en} — {match.role_ko} / {match.role_en} "
            f"({status})"
        )
    else:
        lines.append("  team:      - (not a K-AI team company)")
    if match.phase:
        phase_status = _status(match.phase_status) if match.phase_status else ""
        lines.append(f"  phase:     {match.phase_ko} / {match.phase_en} [{phase_status}]")
    else:
        lines.append("  phase:     -")
    for label, ref in (("before", match.milestone_before), ("after", match.milestone_after)):
        if ref is None:
            lines.append(f"  {label}:    -")
            continue
        star = "★ " if ref.key else ""
        approx = "~" if len(ref.date) == 7 else ""
        pad = " " * (7 - len(label))
        when = f"{approx}{_offset(ref.offset_days)}, {_status(ref.status, ref.conflicting)}"
        lines.append(f"  {label}:{pad}{star}{ref.date_text} ({when})")
        lines.append(f"             {ref.title_ko}")
        lines.append(f"             {ref.title_en}")
        if ref.outcome_ko:
            lines.append(f"             → {ref.outcome_ko} / {ref.outcome_en}")
    if match.sources_end:
        lines.append(
            f"  ! 자료는 {match.sources_end}까지 / the timeline's sources end in "
            f"{match.sources_end}: later results are not recorded"
        )
    lines.append(
        f"  relevance: {match.relevance}/100   AI-related: {'yes' if match.ai_related else 'no'}"
    )
    body = "used" if match.body_used else f"not used ({match.body_status})"
    lines.append(f"  body:      {body}")
    lines.append("  reasons:")
    for reason in match.reasons:
        lines.append(f"    {reason.points:+4d}  {reason.ko}")
        lines.append(f"          {reason.en}")
    lines.append(f"    ----\n    {sum(r.points for r in match.reasons):4d}  = relevance")
    return "\n".join(lines)


#: Why a chat got (or did not get) a filing, in both languages.
ROUTE_TEXTS = {
    "subscribed": ("구독 기업의 공시", "a filing of a followed company"),
    "keyword": ("키워드 ‘{word}’", "keyword '{word}'"),
    "muted": ("기업 알림 꺼짐 (/mute)", "the company is muted (/mute)"),
    "type_hidden": ("분류를 받지 않음 (/types)", "its category is switched off (/types)"),
    "not_ai": ("AI 관련 공시만 받음 (/filter ai)", "AI-related filings only (/filter ai)"),
    "below_min_relevance": ("관련도가 /filter 기준 미만", "relevance under the chat's /filter N"),
    "excluded": ("제외 단어 ‘{word}’ (/exclude)", "excluded word '{word}' (/exclude)"),
    "no_keyword": ("키워드가 하나도 없음 (/keyword)", "none of the keywords (/keyword)"),
    "not_following": ("이 기업을 구독하지 않음", "the chat does not follow the company"),
    "inactive": ("비활성 채팅 (봇 차단 등)", "the chat is inactive (blocked the bot…)"),
}


def render_route(chat_id: int, deliver: bool, reason: str, word: str | None, silent: bool) -> str:
    """One block: the chat, sent or not, and the reason in Korean and English."""
    ko, en = (text.format(word=word or "") for text in ROUTE_TEXTS[reason])
    verdict = "sent / 보냄" if deliver else "not sent / 보내지 않음"
    if deliver and silent:
        verdict += " (silent / 소리 없이, /silent)"
    return f"Chat {chat_id}: {verdict}\n  why:      {ko} / {en}"


async def _route_for_chat(
    db: Database, chat_id: int, filing: Filing, match: MatchResult, body: str
) -> tuple[bool, str, str | None, bool]:
    from monitor.core.errors import UserError
    from monitor.delivery.audience import filters_of
    from monitor.delivery.routing import FilingView, route
    from storage import subscribers as subs
    from storage.models import utcnow

    async with db.session() as session:
        sub = await subs.get(session, chat_id)
        if sub is None or sub.id is None:
            raise UserError(f"no chat {chat_id} has talked to the bot")
        follows = filing.corp_code in await subs.subscriptions(session, sub.id)
    if not sub.active:
        return False, "inactive", None, False
    if not follows:
        return False, "not_following", None, False
    view = FilingView(
        filing.corp_code,
        match.base_category,
        match.relevance,
        match.ai_related,
        (filing.report_nm, body),
    )
    decided = route(filters_of(sub), view, utcnow())
    return decided.deliver, decided.reason, decided.word, decided.silent


async def run(args: argparse.Namespace, settings: Settings) -> int:
    from monitor.commands.timeline import load
    from monitor.core.errors import UsageError, UserError
    from monitor.facts.service import facts_and_changes
    from monitor.facts.summary import facts_text
    from monitor.kai.matcher import MatchResult, match_filing
    from storage.documents import get_document
    from storage.matches import filing_and_match
    from storage.migrate import prepare_database

    rcept_no = args.rcept_no.strip()
    if not re.fullmatch(r"\d{14}", rcept_no):
        raise UsageError(f"RCEPT_NO must be 14 digits, got {args.rcept_no!r}")
    timeline = load(settings)
    db = await prepare_database(settings.database_url)
    try:
        async with db.session() as session:
            filing, row = await filing_and_match(session, rcept_no)
            doc = await get_document(session, rcept_no) if filing else None
        facts, changes, _ = await facts_and_changes(db, rcept_no)
        if filing is None:
            raise UserError(f"no stored filing {rcept_no} (see `dartwatch filings`)")
        body = doc.text if doc is not None and doc.status == "ok" else None
        if row is not None:
            match = MatchResult.from_row(row)
            matched_at = row.matched_at
        else:
            match = match_filing(filing, timeline, body, "not_fetched", facts)
            matched_at = None
        routed = (
            await _route_for_chat(
                db, args.chat, filing, match, " ".join(t for t in (body, facts_text(facts)) if t)
            )
            if args.chat is not None
            else None
        )
    finally:
        await db.dispose()
    said = facts_json(facts, changes)
    if args.format == "json":
        out = {
            **said,
            "filing": filing.model_dump(mode="json"),
            "match": match.to_dict(),
            "stored": row is not None,
            "matched_at": matched_at.isoformat() if matched_at else None,
            "current_timeline_version": timeline.version,
        }
        if routed is not None:
            deliver, reason, word, silent = routed
            out["chat"] = {
                "chat_id": args.chat,
                "sent": deliver,
                "reason": reason,
                "word": word,
                "silent": silent,
            }
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(
            render(
                filing,
                match,
                stored=row is not None,
                matched_at=matched_at,
                current=timeline.version,
            )
        )
        print("\n".join(render_facts(said)))
        if routed is not None:
            print()
            print(render_route(args.chat, *routed))
    return 0

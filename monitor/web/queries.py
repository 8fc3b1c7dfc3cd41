"""What every page and feed of the desk shows, as JSON-able data: the one place that
reads the history for them (pages, feeds and the JSON API all come through here).

Facts and summaries of filings are not stored yet: :func:`filing_row` carries
``summary`` and ``facts`` as ``None`` and the pages say plainly that they are not
known. Once they are stored, filling those two keys here is all the pages need.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from monitor.core import kcalendar
from monitor.kai.matcher import MatchResult, match_filing
from monitor.kai.timeline import Timeline
from monitor.kai.timeline.model import Milestone
from monitor.kai.timeline.queries import team_of, team_status_at
from monitor.web.params import SearchForm
from monitor.web.texts import amendment_prefixes, categories
from notifiers.base import viewer_url
from storage import history
from storage.db import Database
from storage.documents import get_document
from storage.models import Company, Filing, Match

#: Filings this many days either side of a milestone count as "near" it.
NEAR_DAYS = 7
FEED_ENTRIES = 50
TODAY_LIMIT = 500

JSON = dict[str, Any]


def _iso(rcept_dt: str) -> str:
    return f"{rcept_dt[:4]}-{rcept_dt[4:6]}-{rcept_dt[6:8]}"


def _yyyymmdd(day: date) -> str:
    return day.strftime("%Y%m%d")


def category_label(category: str | None, lang: str) -> str:
    for cid, ko, en in categories():
        if cid == category:
            return ko if lang == "ko" else en
    return category or ""


def filing_row(filing: Filing, match: Match | None, timeline: Timeline, lang: str) -> JSON:
    """A filing as lists, feeds and the JSON API show it."""
    link = team_of(timeline, filing.corp_code, filing.stock_code)
    team = match.team if match is not None and match.team else (link.team.id if link else None)
    team_obj = timeline.team_by_id.get(team) if team else None
    return {
        "rcept_no": filing.rcept_no,
        "rcept_dt": _iso(filing.rcept_dt),
        "corp_code": filing.corp_code,
        "corp_name": filing.corp_name,
        "stock_code": filing.stock_code,
        "report_nm": filing.report_nm.strip(),
        "flr_nm": filing.flr_nm,
        "rm": filing.rm,
        "amended": filing.amended,
        "withdrawn": filing.withdrawn,
        "first_seen_at": filing.first_seen_at.isoformat(timespec="seconds"),
        "matched": match is not None,
        "category": match.category if match else None,
        "category_label": category_label(match.category, lang) if match else None,
        "relevance": match.relevance if match else None,
        "ai_related": bool(match.ai_related) if match else False,
        "team": team,
        "team_name": team_obj.name(lang) if team_obj else None,
        "summary": None,
        "facts": None,
        "url": viewer_url(filing.rcept_no),
        "path": f"/filings/{filing.rcept_no}",
    }


def resolve_company(text: str, companies: Sequence[Company]) -> tuple[str, ...] | None:
    """Corp codes of the watched companies *text* names, in any form: corp code, stock
    code, Korean or English name, an alias (case and spaces ignored; a whole name
    first, then a part of one). None when no watched company fits."""
    needle = re.sub(r"\s+", "", text).casefold()
    if not needle:
        return None
    exact: list[str] = []
    partial: list[str] = []
    for company in companies:
        names = [company.corp_name, company.corp_eng_name or "", *company.aliases]
        keys = [re.sub(r"\s+", "", n).casefold() for n in names if n]
        if needle in (company.corp_code, company.stock_code) or needle in keys:
            exact.append(company.corp_code)
        elif any(needle in k for k in keys):
            partial.append(company.corp_code)
    found = exact or partial
    return tuple(found) if found else None


@dataclass(frozen=True, slots=True)
class SearchPage:
    form: SearchForm
    rows: list[JSON]
    has_next: bool
    company_fallback: bool  # no watched company had the name: filings' names searched

    def to_json(self) -> JSON:
        return {
            "query": self.form.to_query(page=1),
            "page": self.form.page,
            "per_page": self.form.per_page,
            "has_next": self.has_next,
            "company_fallback": self.company_fallback,
            "results": self.rows,
        }


def _milestone_json(m: Milestone, timeline: Timeline, today: date, lang: str) -> JSON:
    overdue = m.status != "confirmed" and m.last_day < today
    return {
        "id": m.id,
        "date": m.date_text,
        "title": m.title(lang),
        "kind": m.kind,
        "kind_label": timeline.kind_label(m.kind, lang),
        "key": m.key,
        "status": m.status,
        "status_label": timeline.label("status", m.status, lang),
        "overdue": overdue,
        "teams": list(m.teams),
        "sources": list(m.sources),
        "first_day": m.first_day.isoformat(),
        "last_day": m.last_day.isoformat(),
    }


class Desk:
    """Reads for the web desk; one per app, sharing the daemon's or its own database."""

    def __init__(self, db: Database, timeline: Timeline) -> None:
        self.db = db
        self.timeline = timeline

    # -- search, today, feeds -----------------------------------------------------------
    async def _query(self, form: SearchForm) -> tuple[history.FilingQuery, bool]:
        codes: tuple[str, ...] | None = None
        name_like: str | None = None
        if form.company:
            async with self.db.session() as session:
                known = await history.companies(session)
            codes = resolve_company(form.company, known)
            if codes is None:
                name_like = form.company
        query = history.FilingQuery(
            corp_codes=codes,
            corp_name_like=name_like,
            first_dt=_yyyymmdd(form.date_from) if form.date_from else None,
            last_dt=_yyyymmdd(form.date_to) if form.date_to else None,
            category=form.category,
            team=form.team,
            min_relevance=form.min_relevance,
            ai_only=form.ai,
            amended=form.amended,
            withdrawn=form.withdrawn,
            terms=form.terms,
        )
        return query, name_like is not None

    async def search(self, form: SearchForm, lang: str) -> SearchPage:
        query, fallback = await self._query(form)
        async with self.db.session() as session:
            rows, has_next = await history.search_filings(
                session, query, offset=form.offset, limit=form.per_page
            )
        return SearchPage(
            form,
            [filing_row(f, m, self.timeline, lang) for f, m in rows],
            has_next,
            fallback,
        )

    async def feed_rows(self, form: SearchForm, lang: str) -> list[JSON]:
        """The newest entries of a feed: a saved search (or everything) on page one."""
        page = await self.search(
            SearchForm(**{**_form_fields(form), "page": 1, "per_page": FEED_ENTRIES}), lang
        )
        return page.rows

    async def today(self, day: date, lang: str) -> list[JSON]:
        """The day's filings, AI-relevant first, then by relevance, newest first."""
        dt = _yyyymmdd(day)
        query = history.FilingQuery(first_dt=dt, last_dt=dt)
        async with self.db.session() as session:
            rows, _ = await history.search_filings(session, query, limit=TODAY_LIMIT)
        out = [filing_row(f, m, self.timeline, lang) for f, m in rows]
        out.sort(key=lambda r: (not r["ai_related"], -(r["relevance"] or 0)))
        return out

    # -- one filing ---------------------------------------------------------------------
    async def filing(self, rcept_no: str, lang: str) -> JSON | None:
        async with self.db.session() as session:
            filing, row = await history.filing_with_match(session, rcept_no)
            if filing is None:
                return None
            doc = await get_document(session, rcept_no) if row is None else None
            base = _base_title(filing.report_nm)
            same = await history.same_title_filings(session, filing.corp_code, base)
            chain = amendment_chain([f for f in same if _base_title(f.report_nm) == base], rcept_no)
            events = await history.events_of(session, [f.rcept_no for f in chain] or [rcept_no])
            deliveries = await history.delivery_counts(session, rcept_no)
        if row is not None:
            match = MatchResult.from_row(row)
        else:
            body = doc.text if doc is not None and doc.status == "ok" else None
            match = match_filing(filing, self.timeline, body, "ok" if body else "not_fetched")
        return {
            "filing": filing_row(filing, row, self.timeline, lang),
            "match": _match_json(match, lang),
            "stored": row is not None,
            "matched_at": row.matched_at.isoformat(timespec="seconds") if row else None,
            "current_timeline_version": self.timeline.version,
            "chain": [
                {**filing_row(f, None, self.timeline, lang), "current": f.rcept_no == rcept_no}
                for f in chain
            ],
            "events": [
                {
                    "rcept_no": e.rcept_no,
                    "kind": e.kind,
                    "old_rm": e.old_rm,
                    "new_rm": e.new_rm,
                    "at": e.at.isoformat(timespec="seconds"),
                }
                for e in events
            ],
            "deliveries": [{"notifier": n, "status": s, "count": c} for n, s, c in deliveries],
        }

    # -- one company --------------------------------------------------------------------
    async def company(self, corp_code: str, lang: str, today: date) -> JSON | None:
        async with self.db.session() as session:
            company = await history.company(session, corp_code)
            months = await history.monthly_counts(session, corp_code)
            latest, _ = await history.search_filings(
                session, history.FilingQuery(corp_codes=(corp_code,)), limit=20
            )
        if company is None and not latest:
            return None
        first = latest[0][0] if latest else None
        name = company.corp_name if company else (first.corp_name if first else corp_code)
        stock = company.stock_code if company else (first.stock_code if first else None)
        link = team_of(self.timeline, corp_code, stock)
        team: JSON | None = None
        if link is not None:
            change = team_status_at(self.timeline, link.team.id, today)
            team = {
                "id": link.team.id,
                "name": link.team.name(lang),
                "role": self.timeline.label("roles", link.role, lang),
                "status": change.status if change else None,
                "status_label": self.timeline.label("team_status", change.status, lang)
                if change
                else None,
                "since": change.date.isoformat() if change else None,
                "reason": change.reason(lang) if change else "",
            }
        key = [
            _milestone_json(m, self.timeline, today, lang)
            for m in self.timeline.milestones
            if m.key and (link is None or m.affects(link.team.id))
        ]
        return {
            "corp_code": corp_code,
            "corp_name": name,
            "corp_eng_name": company.corp_eng_name if company else None,
            "stock_code": stock,
            "watched": bool(company and company.watched),
            "team": team,
            "months": [{"month": m, "filings": n, "ai_related": a} for m, n, a in months],
            "milestones": key,
            "latest": [filing_row(f, m, self.timeline, lang) for f, m in latest],
            "facts": None,
        }

    async def companies(self) -> list[Company]:
        async with self.db.session() as session:
            return await history.companies(session)

    # -- the timeline ------------------------------------------------------------------
    async def timeline_view(self, today: date, lang: str) -> JSON:
        team_codes = {c.corp_code for t in self.timeline.teams for c in t.companies if c.corp_code}
        milestones = []
        async with self.db.session() as session:
            for m in self.timeline.milestones:
                first = _yyyymmdd(m.first_day - timedelta(days=NEAR_DAYS))
                last = _yyyymmdd(m.last_day + timedelta(days=NEAR_DAYS))
                query = history.FilingQuery(
                    corp_codes=tuple(sorted(team_codes)), first_dt=first, last_dt=last
                )
                near, more = await history.search_filings(session, query, limit=10)
                milestones.append(
                    {
                        **_milestone_json(m, self.timeline, today, lang),
                        "near": [filing_row(f, r, self.timeline, lang) for f, r in near],
                        "near_more": more,
                    }
                )
        teams = []
        for team in self.timeline.teams:
            change = team_status_at(self.timeline, team.id, today)
            teams.append(
                {
                    "id": team.id,
                    "name": team.name(lang),
                    "lead": team.lead_ko if lang == "ko" else team.lead_en,
                    "status": change.status if change else None,
                    "status_label": self.timeline.label("team_status", change.status, lang)
                    if change
                    else None,
                    "since": change.date.isoformat() if change else None,
                    "reason": change.reason(lang) if change else "",
                    "sources": list(team.sources),
                    "companies": [
                        {"corp_code": c.corp_code, "name": c.name_ko if lang == "ko" else c.name_en}
                        for c in team.companies
                    ],
                }
            )
        return {
            "timeline_version": self.timeline.version,
            "today": today.isoformat(),
            "near_days": NEAR_DAYS,
            "milestones": milestones,
            "teams": teams,
        }

    # -- digests -----------------------------------------------------------------------
    async def digest_days(self) -> list[JSON]:
        async with self.db.session() as session:
            days = await history.digest_days(session)
        return [{"day": d, "deliveries": n, "sent": s} for d, n, s in days]


def _form_fields(form: SearchForm) -> dict[str, Any]:
    return {name: getattr(form, name) for name in form.__dataclass_fields__}


def is_correction(report_nm: str) -> bool:
    return _base_title(report_nm) != report_nm.strip()


def amendment_chain(filings: Sequence[Filing], rcept_no: str) -> list[Filing]:
    """The original of *rcept_no* and its corrections, oldest first.

    *filings* are one company's filings of one title, in receipt order. A company may
    file the same title many times (a monthly report); a correction belongs to the
    nearest uncorrected filing of that title before it, so the chain runs from that
    original to the next filing that is not a correction.
    """
    same = [f for f in filings if _base_title(f.report_nm) == _base_title(filings[0].report_nm)]
    index = next((i for i, f in enumerate(same) if f.rcept_no == rcept_no), None)
    if index is None:
        return []
    start = index
    while start > 0 and is_correction(same[start].report_nm):
        start -= 1
    end = start + 1
    while end < len(same) and is_correction(same[end].report_nm):
        end += 1
    return list(same[start:end])


def _base_title(report_nm: str) -> str:
    """The title without OpenDART's amendment prefix (``[기재정정]``) and spaces around."""
    title = report_nm.strip()
    for prefix in amendment_prefixes():
        title = title.replace(f"[{prefix}]", "")
    return title.strip()


def _match_json(match: MatchResult, lang: str) -> JSON:
    data = match.to_dict()
    data["category_label"] = match.category_ko if lang == "ko" else match.category_en
    data["total"] = sum(r.points for r in match.reasons)
    return data


def today_kst() -> date:
    return kcalendar.today_kst()

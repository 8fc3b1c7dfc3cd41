"""Recompute stored matches against a (new) timeline, in batches, reading bodies and
facts only from storage (a rematch never calls OpenDART)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from monitor.facts.service import record_to_set
from monitor.kai.matcher import MatchResult, match_filing
from monitor.kai.timeline import Timeline
from storage import facts as facts_store
from storage.db import Database
from storage.documents import get_documents
from storage.matches import matched_filings, save_matches
from storage.models import Match


@dataclass
class RematchStats:
    total: int = 0
    changed: int = 0  # anything but the timeline version differs
    relevance_changed: int = 0
    ai_flag_changed: int = 0
    version_only: int = 0


async def rematch_all(
    db: Database,
    timeline: Timeline,
    *,
    write: bool = True,
    batch: int = 500,
    since: str | None = None,
) -> RematchStats:
    """Recompute stored matches; with *since* (YYYYMMDD) only filings received on or
    after that day (what a recorded outcome can change)."""
    stats = RematchStats()
    after = ""
    while True:
        async with db.session() as session:
            rows = await matched_filings(session, after=after, limit=batch)
            if not rows:
                break
            after = rows[-1][0].rcept_no
            docs = await get_documents(session, [f.rcept_no for f, _ in rows])
            stored = await facts_store.get_many(session, [f.rcept_no for f, _ in rows])
            updates: list[Match] = []
            for filing, row in rows:
                if since is not None and filing.rcept_dt < since:
                    continue
                old = MatchResult.from_row(row)
                doc = docs.get(filing.rcept_no)
                record = stored.get(filing.rcept_no)
                facts = record_to_set(record) if record is not None else None
                if doc is not None and doc.status == "ok":
                    new = match_filing(filing, timeline, doc.text, "ok", facts)
                elif doc is not None:
                    new = match_filing(filing, timeline, None, doc.status, facts)
                else:
                    new = match_filing(filing, timeline, None, old.body_status, facts)
                stats.total += 1
                if new == old:
                    continue
                same_content = (
                    dataclasses.replace(new, timeline_version=old.timeline_version) == old
                )
                if same_content:
                    stats.version_only += 1
                else:
                    stats.changed += 1
                    stats.relevance_changed += new.relevance != old.relevance
                    stats.ai_flag_changed += new.ai_related != old.ai_related
                updates.append(new.to_row())
            if write and updates:
                await save_matches(session, updates)
    return stats

"""Atom feeds of filings (feedgen): every entry links to its page on the desk and to
DART, and carries the relevance and, once known, the summary."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feedgen.feed import FeedGenerator

from monitor.web.texts import Texts

FEED_ID = "tag:dartwatch,2026:"


def _when(row: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(row["first_seen_at"]))


def atom(
    rows: Sequence[dict[str, Any]],
    *,
    title: str,
    feed_path: str,
    base_url: str,
    texts: Texts,
) -> bytes:
    """The Atom document; *feed_path* (with its query string) names the feed."""
    fg = FeedGenerator()
    fg.id(FEED_ID + feed_path)
    fg.title(title)
    fg.language(texts.lang)
    fg.author({"name": "dartwatch"})
    fg.link(href=base_url + feed_path, rel="self", type="application/atom+xml")
    fg.link(href=base_url + "/", rel="alternate", type="text/html")
    fg.updated(
        max((_when(r) for r in rows), default=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    )
    # feedgen writes entries in the reverse order of adding them.
    for row in reversed(rows):
        entry = fg.add_entry()
        entry.id(FEED_ID + "filing:" + str(row["rcept_no"]))
        entry.title(f"[{row['corp_name']}] {row['report_nm']}")
        # One link per entry: feedgen 1.0 drops the rel of every link it writes, so a
        # second one would read as a second "alternate". DART's page is in the content.
        entry.link(href=base_url + str(row["path"]))
        entry.updated(_when(row))
        entry.published(_when(row))
        parts = []
        if row.get("summary"):
            parts.append(str(row["summary"]))
        if row["relevance"] is not None:
            parts.append(texts("feeds.relevance", n=row["relevance"]))
        if row.get("category_label"):
            parts.append(str(row["category_label"]))
        if row.get("team_name"):
            parts.append(str(row["team_name"]))
        parts.append(f"{row['rcept_dt']} · {row['flr_nm'] or row['corp_name']}")
        entry.summary(" · ".join(parts))
        dart = html.escape(str(row["url"]), quote=True)
        entry.content(
            f"<p>{html.escape(' · '.join(parts))}</p>"
            f'<p><a href="{dart}">DART {html.escape(str(row["rcept_no"]))}</a></p>',
            type="html",
        )
        if row.get("category"):
            entry.category(term=str(row["category"]), label=str(row.get("category_label") or ""))
        if row["relevance"] is not None:
            entry.category(term=f"relevance:{row['relevance']}", scheme=FEED_ID + "relevance")
    data: bytes = fg.atom_str(pretty=False)
    return data

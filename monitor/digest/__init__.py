"""The daily digest for analysts.

- :func:`build_digest` (pure): a business day's alerts, trend counts and timeline box
  -> :class:`Digest`;
- :func:`render` / :func:`to_message` (pure): the digest as html, md, text, json, csv,
  or as the :class:`~notifiers.base.DigestMessage` notifiers receive;
- :mod:`monitor.digest.service` (database): :func:`~monitor.digest.service.load_digest`,
  :func:`~monitor.digest.service.enqueue_digest`,
  :func:`~monitor.digest.service.digest_renderer`.

Imported lazily by the CLI; importing this package pulls in Jinja2 but no database code.
"""

from monitor.digest.builder import (
    CompanyRef,
    Digest,
    DigestItem,
    Marker,
    TrendPoint,
    build_digest,
    trend_markers,
)
from monitor.digest.days import NotABusinessDay, check_digest_day, digest_day_for, span
from monitor.digest.render import FORMATS, render, split_parts, text_parts, to_message

__all__ = [
    "FORMATS",
    "CompanyRef",
    "Digest",
    "DigestItem",
    "Marker",
    "NotABusinessDay",
    "TrendPoint",
    "build_digest",
    "check_digest_day",
    "digest_day_for",
    "render",
    "span",
    "split_parts",
    "text_parts",
    "to_message",
    "trend_markers",
]

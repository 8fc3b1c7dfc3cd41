"""Presses on an alert's buttons: "왜?" (expand/fold in place) and 🔕 (mute, undo).

Everything is rebuilt from what the press names (:mod:`.alert_buttons`) and what is
stored: the filing through the bot services, the chat's mutes through the subscriber
row — nothing lives in memory, so an alert sent before a restart still answers. A
press that names no stored filing, or data that is not ours, gets "this button no
longer works" and changes nothing.
"""

from __future__ import annotations

import html
import logging
from datetime import UTC, datetime, timedelta

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest

from monitor.bot.handlers import Request
from monitor.delivery.routing import muted
from notifiers.base import KST, Alert
from notifiers.telegram_buttons import MUTE_CHOICES, AlertKey, alert_keyboard, parse
from notifiers.telegram_format import format_alert_html
from notifiers.telegram_texts import t
from storage import subscribers as subs
from storage.models import Subscriber

log = logging.getLogger("dartwatch.telegram.bot")

Answer = tuple[str, InlineKeyboardMarkup | None]


def is_muted(sub: Subscriber | None, corp_code: str, now: datetime) -> bool:
    """Whether the chat has *corp_code* muted at *now* (as the routing reads it)."""
    return sub is not None and muted(sub.mutes, corp_code, now)


def _plain(lang: str, key: str, **values: object) -> str:
    """A toast: plain text (no parse mode), so the escaping t() applied is undone."""
    return html.unescape(t(lang, key, **values))


async def on_alert_button(req: Request, data: str) -> Answer:
    """(toast, new keyboard or None) for a press on an alert's button."""
    lang = req.lang
    parsed = parse(data)
    if parsed is None or req.message_id is None:
        return _plain(lang, "button_expired"), None
    action, key = parsed
    alert = await req.deps.services.filing_alert(key.rcept_no, key.event)
    if alert is None:
        return _plain(lang, "button_expired"), None
    muted = is_muted(req.subscriber, alert.corp_code, datetime.now(UTC))
    if action == "why":
        return await _toggle(req, alert, key.toggled(), muted)
    if action == "mute":
        menu = alert_keyboard(key, alert.url, lang, choosing=True)
        return _plain(lang, "mute_pick", name=alert.corp_name), menu
    if action == "back":
        return _plain(lang, "mute_cancelled"), alert_keyboard(key, alert.url, lang, muted=muted)
    return await _set_mute(req, alert, key, action)


async def _set_mute(req: Request, alert: Alert, key: AlertKey, action: str) -> Answer:
    """Mute for the chosen period (the ``/mute`` storage) or undo it; the keyboard
    shows the new state, the toast confirms it."""
    lang, name = req.lang, alert.corp_name
    sub = await req.own_subscriber()
    if action == "unmute":
        async with req.deps.db.session() as s:
            was = await subs.unmute(s, sub, alert.corp_code)
        toast = _plain(lang, "unmuted" if was else "not_muted", name=name)
        return toast, alert_keyboard(key, alert.url, lang)
    days = MUTE_CHOICES[action]
    until = datetime.now(UTC) + timedelta(days=days) if days is not None else None
    async with req.deps.db.session() as s:
        await subs.mute(s, sub, alert.corp_code, until)
    if until is None:
        toast = _plain(lang, "muted_button_forever", name=name)
    else:
        shown = until.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")
        toast = _plain(lang, "muted_button_until", name=name, until=shown)
    return toast, alert_keyboard(key, alert.url, lang, muted=True)


async def _toggle(req: Request, alert: Alert, key: AlertKey, muted: bool) -> Answer:
    """Expand or fold the reasons: the message is edited in place, buttons included."""
    text, markup = format_alert_html(alert, req.lang, expanded=key.expanded, muted=muted)
    try:
        await req.edit(text, markup)
    except BadRequest as exc:
        # Two quick presses: the second finds the message already as asked.
        if "not modified" not in str(exc).lower():
            raise
    return _plain(req.lang, "why_shown" if key.expanded else "why_folded"), None

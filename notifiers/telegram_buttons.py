"""The buttons under an alert, and what their callback data says (pure).

An alert carries three kinds of buttons: the DART viewer (a URL button: the link is
never printed in the text), "왜?" to expand the relevance reasons in place (and fold
them again), and 🔕 to mute the company from the alert itself.

Callback data is all the state a press brings back, so it names the filing and the
view the message is in: ``al:<action>:<rcept_no>:<event><expanded>`` — for example
``al:why:20260115000123:n0``, at most 32 bytes (Telegram allows 64). The text and the
company are rebuilt from the stored filing on every press, so buttons keep working
after a restart, and nothing a client forges can name anything but a stored filing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from notifiers.telegram_texts import raw

PREFIX = "al:"
#: action -> mute period in days (None: until unmuted); only the mute choices
MUTE_CHOICES: dict[str, int | None] = {"m1d": 1, "m7d": 7, "mff": None}
ACTIONS = ("why", "mute", "back", "unmute", *MUTE_CHOICES)
EVENTS = {"n": "new", "w": "withdrawn", "a": "amended"}
_CODES = {v: k for k, v in EVENTS.items()}
_DATA_RE = re.compile(r"^al:(" + "|".join(ACTIONS) + r"):(\d{14}):([nwa])([01])$")


@dataclass(frozen=True, slots=True)
class AlertKey:
    """Which alert a button belongs to, and how the message shows it now."""

    rcept_no: str
    event: str = "new"  # new | withdrawn | amended (Alert.event)
    expanded: bool = False  # the reasons are shown

    def data(self, action: str) -> str:
        """Callback data for *action* on this alert."""
        assert action in ACTIONS, action
        code = _CODES.get(self.event, "n")
        return f"{PREFIX}{action}:{self.rcept_no}:{code}{int(self.expanded)}"

    def toggled(self) -> AlertKey:
        return replace(self, expanded=not self.expanded)


def parse(data: str) -> tuple[str, AlertKey] | None:
    """(action, key) from callback data, or None for anything not ours."""
    m = _DATA_RE.match(data or "")
    if m is None:
        return None
    action, rcept_no, event, expanded = m.groups()
    return action, AlertKey(rcept_no, EVENTS[event], expanded == "1")


def changes_settings(data: str) -> bool:
    """Whether the press changes what the chat receives (in groups: admins only)."""
    parsed = parse(data)
    return parsed is not None and parsed[0] in ("unmute", *MUTE_CHOICES)


def alert_keyboard(
    key: AlertKey,
    url: str,
    lang: str,
    *,
    muted: bool = False,
    choosing: bool = False,
) -> InlineKeyboardMarkup:
    """The DART button, then "왜?" (or "접기") and 🔕 — or, while *choosing*, the mute
    periods; *muted*: the company is muted here, so 🔔 undoes it."""
    dart = [InlineKeyboardButton(raw(lang, "view_on_dart"), url=url)]
    if choosing:
        periods = [
            InlineKeyboardButton(raw(lang, f"button_{action}"), callback_data=key.data(action))
            for action in MUTE_CHOICES
        ]
        back = InlineKeyboardButton(raw(lang, "button_mute_back"), callback_data=key.data("back"))
        return InlineKeyboardMarkup([dart, periods, [back]])
    why = InlineKeyboardButton(
        raw(lang, "button_fold" if key.expanded else "button_why"), callback_data=key.data("why")
    )
    if muted:
        bell = InlineKeyboardButton(raw(lang, "button_unmute"), callback_data=key.data("unmute"))
    else:
        bell = InlineKeyboardButton(raw(lang, "button_mute"), callback_data=key.data("mute"))
    return InlineKeyboardMarkup([dart, [why, bell]])

"""One small async function per command; :data:`COMMANDS` wires them (app.py routes).

Each handler receives a :class:`Request` (the chat, its language, the argument text
and the dependencies) and answers through ``req.reply``. Texts come from the data
file; anything a user typed is escaped before it is echoed.
"""

from __future__ import annotations

import html
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, Message
from telegram.constants import ParseMode

from monitor.bot.resolve import (
    MAX_ARGUMENT_CHARS,
    MAX_NAMES,
    Found,
    Parsed,
    find,
    split_names,
)
from monitor.bot.services import (
    BotServices,
    CategoryInfo,
    CompanyInfo,
    RecordRequest,
    Resolution,
)
from notifiers.base import KST
from notifiers.telegram_format import split_text, utf16_len
from notifiers.telegram_texts import raw, t
from storage import subscribers as subs
from storage.db import Database
from storage.models import Subscriber

log = logging.getLogger("dartwatch.telegram.bot")

REPLY_LIMIT = 4000  # a little under Telegram's 4,096, for the joins
CALLBACK_RE = re.compile(r"^(sub|unsub):(\d{8}|all)$")


@dataclass(frozen=True)
class PendingRecord:
    """A ``/record`` waiting for its admin's confirmation button."""

    chat_id: int
    request: RecordRequest
    expires: float  # time.monotonic()


@dataclass(frozen=True)
class BotDeps:
    db: Database
    services: BotServices
    admin_user_ids: frozenset[int] = frozenset()
    # token -> pending /record; in memory: a restart simply expires the buttons.
    pending_records: dict[str, PendingRecord] = field(default_factory=dict)


@dataclass
class Request:
    """One command to answer."""

    bot: Bot
    deps: BotDeps
    chat_id: int
    chat_type: str
    chat_title: str
    lang: str
    command: str
    args: str
    user_language: str = "ko"
    subscriber: Subscriber | None = None
    sent: list[Message] = field(default_factory=list)
    user_id: int | None = None  # the person (effective_user), None when anonymous
    private: bool = False
    message_id: int | None = None  # the bot's message whose button was pressed

    @property
    def is_admin(self) -> bool:
        """Rights follow the person, and only in a private chat with the bot: in a group
        every member sees the answer, and an anonymous admin or a channel has no
        person behind it."""
        return (
            self.private
            and self.user_id is not None
            and self.user_id == self.chat_id
            and self.user_id in self.deps.admin_user_ids
        )

    async def reply(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        self.sent.append(
            await self.bot.send_message(
                chat_id=self.chat_id,
                text=text,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )

    async def edit(self, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
        """Replace the message a button was pressed on (text and buttons), in place."""
        assert self.message_id is not None
        await self.bot.edit_message_text(
            text,
            chat_id=self.chat_id,
            message_id=self.message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )

    async def reply_lines(self, lines: Sequence[str]) -> None:
        """Send complete HTML lines, several messages if they do not fit in one."""
        chunk: list[str] = []
        size = 0
        for line in lines:
            n = utf16_len(line) + 1
            if chunk and size + n > REPLY_LIMIT:
                await self.reply("\n".join(chunk))
                chunk, size = [], 0
            chunk.append(line)
            size += n
        if chunk:
            await self.reply("\n".join(chunk))

    async def own_subscriber(self) -> Subscriber:
        """This chat's subscriber row, created on first use."""
        async with self.deps.db.session() as s:
            sub = await subs.get_or_create(
                s,
                self.chat_id,
                chat_type=self.chat_type,
                title=self.chat_title,
                language=self.user_language,
            )
        self.subscriber = sub
        return sub


Handler = Callable[[Request], Awaitable[None]]


# --- helpers ------------------------------------------------------------------------


def _names(companies: Sequence[CompanyInfo], lang: str) -> str:
    return ", ".join(c.name(lang) for c in companies)


def keyboard(
    companies: Sequence[CompanyInfo], subscribed: set[str], lang: str
) -> InlineKeyboardMarkup:
    """Toggle buttons, two per row, then "subscribe to all"."""
    buttons = [
        InlineKeyboardButton(
            ("✅ " if c.corp_code in subscribed else "➕ ") + c.name(lang),
            callback_data=("unsub:" if c.corp_code in subscribed else "sub:") + c.corp_code,
        )
        for c in companies
    ]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(t(lang, "button_all"), callback_data="sub:all")])
    return InlineKeyboardMarkup(rows)


async def _subscribed_codes(req: Request) -> set[str]:
    async with req.deps.db.session() as s:
        sub = await subs.get(s, req.chat_id)
        if sub is None or sub.id is None:
            return set()
        return set(await subs.subscriptions(s, sub.id))


async def _buttons(req: Request, prompt_key: str) -> None:
    companies = await req.deps.services.companies()
    markup = keyboard(companies, await _subscribed_codes(req), req.lang)
    await req.reply(t(req.lang, prompt_key), markup)


def _too_long(req: Request) -> bool:
    return len(req.args) > MAX_ARGUMENT_CHARS


async def _explain_unresolved(req: Request, found: Found) -> str:
    lang = req.lang
    if found.ambiguous:
        return t(lang, "ambiguous_company", query=found.query, names=_names(found.companies, lang))
    line = t(lang, "unknown_company", query=found.query)
    try:
        wider = await req.deps.services.resolve(found.query)
    except Exception as exc:  # the registry is a nicety here, never a reason to fail
        log.warning("company lookup failed: %s", type(exc).__name__)
        wider = None
    if wider is not None and wider.corp_code:
        line = t(lang, "not_watched", query=found.query, name=wider.name)
    if found.suggestions:
        line += "\n" + t(lang, "did_you_mean", names=_names(found.suggestions, lang))
    return line


# --- commands -----------------------------------------------------------------------


async def cmd_start(req: Request) -> None:
    await req.own_subscriber()
    await req.reply(t(req.lang, "welcome"))
    await _buttons(req, "buttons_prompt")


async def cmd_help(req: Request) -> None:
    text = t(req.lang, "help")
    if req.is_admin:
        text += "\n" + t(req.lang, "help_admin")
    await req.reply(text)


async def _names_of(req: Request) -> tuple[list[CompanyInfo], Parsed] | None:
    """The companies named in the command's argument, or None when the chat has been
    answered already (argument too long, none given: the buttons, too many names)."""
    if _too_long(req):
        await req.reply(t(req.lang, "too_long", max=MAX_ARGUMENT_CHARS))
        return None
    if not req.args.strip():
        await _buttons(req, "buttons_prompt")
        return None
    companies = list(await req.deps.services.companies())
    parsed = split_names(req.args, companies)
    if len(parsed.found) > MAX_NAMES:
        await req.reply(t(req.lang, "too_many", max=MAX_NAMES))
        return None
    return companies, parsed


async def cmd_subscribe(req: Request) -> None:
    named = await _names_of(req)
    if named is None:
        return
    companies, parsed = named
    sub = await req.own_subscriber()
    assert sub.id is not None
    if parsed.everything:
        async with req.deps.db.session() as s:
            await subs.subscribe(s, sub.id, [c.corp_code for c in companies])
        await req.reply(t(req.lang, "subscribed_all", count=len(companies)))
        return
    wanted = [f.company for f in parsed.found if f.company is not None]
    async with req.deps.db.session() as s:
        added = set(await subs.subscribe(s, sub.id, [c.corp_code for c in wanted]))
    lines = []
    new = [c for c in _unique(wanted) if c.corp_code in added]
    old = [c for c in _unique(wanted) if c.corp_code not in added]
    if new:
        lines.append(t(req.lang, "subscribed", names=_names(new, req.lang)))
    if old:
        lines.append(t(req.lang, "already_subscribed", names=_names(old, req.lang)))
    unresolved = [f for f in parsed.found if f.company is None]
    pickers: list[tuple[str, InlineKeyboardMarkup]] = []
    explained = False
    for found in unresolved:
        wider = None if found.ambiguous else await _wider(req, found.query)
        if wider is not None and wider.corp_code:
            lines.append(await _follow_listed(req, sub.id, wider.corp_code, wider.name))
        elif wider is not None and wider.candidates:
            pickers.append((found.query, _pick_markup(wider.candidates)))
        else:
            lines.append(await _explain_unresolved(req, found))
            explained = True
    if explained:
        lines.append(t(req.lang, "companies_hint"))
    if lines:
        await req.reply_lines(lines)
    for query, markup in pickers:
        await req.reply(t(req.lang, "pick_company", query=query), markup)


MAX_CANDIDATES = 10


async def _wider(req: Request, query: str) -> Resolution | None:
    """OpenDART's corpCode registry beyond the watchlist; None when it cannot answer."""
    try:
        return await req.deps.services.resolve(query)
    except Exception as exc:  # the registry is a nicety here, never a reason to fail
        log.warning("company lookup failed: %s", type(exc).__name__)
        return None


def _pick_markup(candidates: Sequence[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(f"➕ {name} ({code})", callback_data=f"sub:{code}")]
            for code, name in candidates[:MAX_CANDIDATES]
        ]
    )


async def _follow_listed(req: Request, subscriber_id: int, corp_code: str, name: str) -> str:
    """Follow a company outside the watchlist: the confirmation, or why not."""
    if not await req.deps.services.can_follow(corp_code):
        return t(req.lang, "watch_full", name=name)
    async with req.deps.db.session() as s:
        added = await subs.subscribe(s, subscriber_id, [corp_code])
    key = "subscribed_listed" if added else "already_subscribed"
    return t(req.lang, key, name=name, names=name)


def _unique(companies: Sequence[CompanyInfo]) -> list[CompanyInfo]:
    seen: dict[str, CompanyInfo] = {}
    for c in companies:
        seen.setdefault(c.corp_code, c)
    return list(seen.values())


async def cmd_unsubscribe(req: Request) -> None:
    named = await _names_of(req)
    if named is None:
        return
    companies, parsed = named
    async with req.deps.db.session() as s:
        sub = await subs.get(s, req.chat_id)
        if sub is None or sub.id is None:
            removed: list[str] = []
        elif parsed.everything:
            removed = await subs.unsubscribe(s, sub.id)
        else:
            codes = [f.company.corp_code for f in parsed.found if f.company is not None]
            removed = await subs.unsubscribe(s, sub.id, codes)
    listed: dict[str, tuple[str, str]] = {}
    if sub is not None and sub.id is not None and not parsed.everything:
        listed = await _unsubscribe_listed(req, sub.id, parsed)
        removed += [c for c in listed if c not in removed]
    if parsed.everything:
        await req.reply(t(req.lang, "unsubscribed_all" if removed else "nothing_to_unsubscribe"))
        return
    by_code = {c.corp_code: c for c in companies}
    lines = []
    gone = [by_code[c] for c in removed if c in by_code]
    if gone:
        lines.append(t(req.lang, "unsubscribed", names=_names(gone, req.lang)))
    kept = [
        f.company
        for f in parsed.found
        if f.company is not None and f.company.corp_code not in set(removed)
    ]
    if kept:
        lines.append(t(req.lang, "not_subscribed", names=_names(_unique(kept), req.lang)))
    if listed:
        lines.append(t(req.lang, "unsubscribed", names=", ".join(n for _, n in listed.values())))
    handled = {query for query, _ in listed.values()}
    for found in parsed.found:
        if found.company is None and found.query not in handled:
            lines.append(await _explain_unresolved(req, found))
    await req.reply_lines(lines or [t(req.lang, "nothing_to_unsubscribe")])


async def _unsubscribe_listed(
    req: Request, subscriber_id: int, parsed: Parsed
) -> dict[str, tuple[str, str]]:
    """Unsubscribe the names that are listed companies outside the watchlist; return
    the removed ones as corp code -> (the name typed, the registry's name)."""
    wanted: dict[str, tuple[str, str]] = {}
    for found in parsed.found:
        wider = None if found.company or found.ambiguous else await _wider(req, found.query)
        if wider is not None and wider.corp_code:
            wanted[wider.corp_code] = (found.query, wider.name)
    if not wanted:
        return {}
    async with req.deps.db.session() as s:
        removed = await subs.unsubscribe(s, subscriber_id, list(wanted))
    return {code: wanted[code] for code in removed}


async def cmd_list(req: Request) -> None:
    lang = req.lang
    async with req.deps.db.session() as s:
        sub = await subs.get(s, req.chat_id)
        codes = await subs.subscriptions(s, sub.id) if sub and sub.id is not None else []
    companies = await req.deps.services.companies()
    order = {c.corp_code: i for i, c in enumerate(companies)}
    by_code = {c.corp_code: c for c in companies}
    codes = sorted(codes, key=lambda c: (order.get(c, len(order)), c))
    lines = [t(lang, "list_header")]
    for c in codes:
        if c in by_code:
            lines.append(f"• {html.escape(by_code[c].name(lang))}")
        else:
            wider = await _wider(req, c)
            name = wider.name if wider is not None and wider.corp_code == c else c
            lines.append(f"• {html.escape(name)} ({c})")
    if not codes:
        lines.append(t(lang, "list_empty"))
    if sub is not None:
        quiet = (
            t(lang, "quiet_range", start=f"{sub.quiet_start:02d}", end=f"{sub.quiet_end:02d}")
            if sub.quiet_start is not None and sub.quiet_end is not None
            else t(lang, "quiet_off_label")
        )
        lines.append("")
        lines.append(
            raw(
                lang,
                "list_settings",
                lang=html.escape(t(sub.language, "lang_name")),
                filter=html.escape(_filter_label(lang, sub.filter, sub.min_relevance)),
                quiet=html.escape(quiet),
                digest=html.escape(t(lang, "on" if sub.digest else "off")),
            )
        )
        lines.append(_filters_line(sub, lang, {c.corp_code: c.name(lang) for c in companies}))
    await req.reply_lines(lines)


def _filters_line(sub: Subscriber, lang: str, names: dict[str, str]) -> str:
    """The per-chat filters in one line of ``/list`` (plain labels: t() escapes them)."""
    none = html.unescape(t(lang, "words_none"))
    silent = html.unescape(t(lang, "off")) if sub.silent_below is None else f"< {sub.silent_below}"
    return t(
        lang,
        "list_filters",
        keywords=", ".join(sub.keywords or ()) or none,
        excludes=", ".join(sub.excludes or ()) or none,
        types=len(sub.hidden_types or ()),
        silent=silent,
        muted=", ".join(names.get(c, c) for c in sub.mutes or {}) or none,
    )


def _team_label(c: CompanyInfo, lang: str) -> str:
    team = c.team(lang)
    if not team:
        return t(lang, "no_team")
    status = {
        "active": "team_status_active",
        "eliminated": "team_status_eliminated",
        "unverified": "team_status_unverified",
    }.get(c.team_status or "")
    return f"{team} ({t(lang, status)})" if status else team


async def cmd_companies(req: Request) -> None:
    lang = req.lang
    lines = [t(lang, "companies_header")]
    for c in await req.deps.services.companies():
        lines.append(
            t(
                lang,
                "company_line",
                name=c.name(lang),
                stock=c.stock_code or c.corp_code,
                team=_team_label(c, lang),
            )
        )
    await req.reply_lines(lines)


async def cmd_timeline(req: Request) -> None:
    try:
        text = await req.deps.services.timeline_text(req.lang)
    except Exception as exc:
        log.error("timeline unavailable: %s", type(exc).__name__)
        await req.reply(t(req.lang, "timeline_unavailable"))
        return
    # Escaping can grow the text: split the plain text with room to spare.
    for part in split_text(text, limit=2000):
        await req.reply(html.escape(part))


LATEST_PAGE = 10
LATEST_BUTTON_RE = re.compile(r"^lt:(s|a|\d{8}):(\d{1,4})$")


async def _latest_scope(req: Request) -> str | None:
    """``s`` (the chat's subscriptions), ``a`` (those, AI-related only) or a corp code;
    None after replying why the name is unknown."""
    arg = req.args.strip()
    if not arg:
        return "s"
    if arg.lower() == "ai":
        return "a"
    found = find(arg, list(await req.deps.services.companies()))
    if found.company is not None:
        return found.company.corp_code
    wider = None if found.ambiguous else await _wider(req, arg)
    if wider is not None and wider.corp_code:
        return wider.corp_code
    await req.reply(await _explain_unresolved(req, found))
    return None


async def _latest_page(req: Request, scope: str, page: int) -> tuple[str, InlineKeyboardMarkup]:
    """One page of ``/latest`` (HTML) and its ◀ ▶ buttons."""
    lang = req.lang
    codes: list[str] | None = [scope] if scope not in ("s", "a") else None
    if codes is None:
        async with req.deps.db.session() as s:
            sub = await subs.get(s, req.chat_id)
            own = await subs.subscriptions(s, sub.id) if sub and sub.id is not None else []
        codes = own or None  # no subscriptions yet: the watched companies
    alerts = await req.deps.services.latest_page(
        codes, ai_only=scope == "a", offset=page * LATEST_PAGE, limit=LATEST_PAGE + 1
    )
    lines = [t(lang, "latest_header")] if alerts else [t(lang, "latest_empty")]
    for a in alerts[:LATEST_PAGE]:
        lines.append(
            t(
                lang,
                "latest_line",
                date=a.rcept_date,
                company=a.corp_name,
                url=a.url,
                title=a.report_nm[:200],
                category=a.category_en if lang == "en" else a.category_ko,
                relevance=a.relevance,
            )
        )
    buttons = []
    if page > 0:
        buttons.append(InlineKeyboardButton("◀", callback_data=f"lt:{scope}:{page - 1}"))
    if len(alerts) > LATEST_PAGE:
        buttons.append(InlineKeyboardButton("▶", callback_data=f"lt:{scope}:{page + 1}"))
    return "\n".join(lines), InlineKeyboardMarkup([buttons] if buttons else [])


async def cmd_latest(req: Request) -> None:
    if _too_long(req):
        await req.reply(t(req.lang, "too_long", max=MAX_ARGUMENT_CHARS))
        return
    scope = await _latest_scope(req)
    if scope is None:
        return
    text, markup = await _latest_page(req, scope, 0)
    await req.reply(text, markup if markup.inline_keyboard else None)


async def on_latest_button(req: Request, data: str) -> str:
    """◀ ▶ on a ``/latest`` page: the page is replaced in place; the toast text."""
    m = LATEST_BUTTON_RE.match(data)
    if m is None or req.message_id is None:
        return html.unescape(t(req.lang, "button_expired"))
    text, markup = await _latest_page(req, m.group(1), int(m.group(2)))
    await req.edit(text, markup)
    return ""


def _filter_label(lang: str, filter_: str, min_relevance: int) -> str:
    if filter_ == "ai":
        return t(lang, "filter_ai")
    return t(lang, "filter_min", n=min_relevance) if min_relevance else t(lang, "filter_all")


async def cmd_filter(req: Request) -> None:
    value = req.args.strip().lower()
    if value not in subs.FILTERS and not (value.isdigit() and 0 <= int(value) <= 100):
        await req.reply(t(req.lang, "filter_usage"))
        return
    sub = await req.own_subscriber()
    assert sub.id is not None
    async with req.deps.db.session() as s:
        await subs.set_relevance_filter(s, sub.id, value)
    minimum = int(value) if value.isdigit() else 0
    label = _filter_label(req.lang, "ai" if value == "ai" else "all", minimum)
    await req.reply(t(req.lang, "filter_set", value=label))


# --- per-chat filters ---------------------------------------------------------------

WORD_SPLIT = re.compile(r"[\s,]+")
WORD_BUTTON_RE = re.compile(r"^kw:(k|x):(.+)$", re.DOTALL)
TYPE_BUTTON_RE = re.compile(r"^type:([a-z_]{1,40})$")
MUTE_PERIODS = {"1d": timedelta(days=1), "7d": timedelta(days=7), "30d": timedelta(days=30)}
FOREVER = ("forever", "영구", "계속")


def words_markup(sub: Subscriber, lang: str) -> InlineKeyboardMarkup | None:
    """One removal button per keyword and excluded word."""
    rows = [
        [
            InlineKeyboardButton(
                html.unescape(t(lang, label, word=word)), callback_data=f"kw:{kind}:{word}"
            )
        ]
        for kind, label, words in (
            ("k", "button_remove_keyword", sub.keywords),
            ("x", "button_remove_exclude", sub.excludes),
        )
        for word in words or ()
    ]
    return InlineKeyboardMarkup(rows) if rows else None


async def _show_words(req: Request) -> None:
    sub = await req.own_subscriber()
    lang = req.lang
    none = t(lang, "words_none")
    text = "\n".join(
        [
            t(lang, "words_header", words=", ".join(sub.keywords or ()) or none),
            t(lang, "excludes_header", words=", ".join(sub.excludes or ()) or none),
        ]
    )
    markup = words_markup(sub, lang)
    if markup is not None:
        text += "\n\n" + t(lang, "words_hint")
    await req.reply(text, markup)


async def _add_words(req: Request, kind: str) -> None:
    if _too_long(req):
        await req.reply(t(req.lang, "too_long", max=MAX_ARGUMENT_CHARS))
        return
    words = [w for w in WORD_SPLIT.split(req.args) if w]
    if not words:
        await _show_words(req)
        return
    sub = await req.own_subscriber()
    try:
        async with req.deps.db.session() as s:
            added = await subs.add_words(s, sub, kind, words)
    except subs.SubscriberError:
        too_long = any(len(subs.normalize_word(w).encode()) > subs.MAX_WORD_BYTES for w in words)
        key = "words_too_long" if too_long else "words_too_many"
        await req.reply(t(req.lang, key, max=subs.MAX_WORDS))
        return
    key = "keywords_added" if kind == "keywords" else "excludes_added"
    lines = [t(req.lang, key, words=", ".join(added))] if added else []
    old = [w for w in dict.fromkeys(subs.normalize_word(w) for w in words) if w not in added]
    if old:
        lines.append(t(req.lang, "words_already", words=", ".join(old)))
    await req.reply("\n".join(lines), words_markup(sub, req.lang))


async def cmd_keyword(req: Request) -> None:
    await _add_words(req, "keywords")


async def cmd_exclude(req: Request) -> None:
    await _add_words(req, "excludes")


def types_markup(
    categories: Sequence[CategoryInfo], hidden: set[str], lang: str
) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(
            ("⬜ " if c.id in hidden else "✅ ") + c.name(lang), callback_data=f"type:{c.id}"
        )
        for c in categories
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


async def cmd_types(req: Request) -> None:
    sub = await req.own_subscriber()
    categories = await req.deps.services.categories()
    markup = types_markup(categories, set(sub.hidden_types or ()), req.lang)
    await req.reply(t(req.lang, "types_prompt"), markup)


async def cmd_silent(req: Request) -> None:
    value = req.args.strip().lower()
    if value in ("off", "끄기", "해제"):
        below = None
    elif value.isdigit() and 0 <= int(value) <= 100:
        below = int(value)
    else:
        await req.reply(t(req.lang, "silent_usage"))
        return
    sub = await req.own_subscriber()
    assert sub.id is not None
    async with req.deps.db.session() as s:
        await subs.set_silent(s, sub.id, below)
    await req.reply(
        t(req.lang, "silent_off") if below is None else t(req.lang, "silent_set", n=below)
    )


def parse_mute(args: str) -> tuple[str, timedelta | None] | None:
    """``NAME [1d|7d|30d|forever]`` -> (name, period or None for "until unmuted")."""
    words = args.split()
    if not words:
        return None
    last = words[-1].lower()
    if last in MUTE_PERIODS and len(words) > 1:
        return " ".join(words[:-1]), MUTE_PERIODS[last]
    if last in FOREVER and len(words) > 1:
        return " ".join(words[:-1]), None
    return " ".join(words), None


async def _one_company(req: Request, name: str) -> CompanyInfo | None:
    found = find(name, list(await req.deps.services.companies()))
    if found.company is None:
        await req.reply(await _explain_unresolved(req, found))
    return found.company


async def cmd_mute(req: Request) -> None:
    parsed = None if _too_long(req) else parse_mute(req.args)
    if parsed is None:
        await req.reply(t(req.lang, "mute_usage"))
        return
    company = await _one_company(req, parsed[0])
    if company is None:
        return
    sub = await req.own_subscriber()
    until = datetime.now(UTC) + parsed[1] if parsed[1] is not None else None
    async with req.deps.db.session() as s:
        await subs.mute(s, sub, company.corp_code, until)
    name = company.name(req.lang)
    if until is None:
        await req.reply(t(req.lang, "muted_forever", name=name))
    else:
        shown = until.astimezone(KST).strftime("%Y-%m-%d %H:%M KST")
        await req.reply(t(req.lang, "muted_until", name=name, until=shown))


async def cmd_unmute(req: Request) -> None:
    if not req.args.strip() or _too_long(req):
        await req.reply(t(req.lang, "unmute_usage"))
        return
    company = await _one_company(req, req.args.strip())
    if company is None:
        return
    sub = await req.own_subscriber()
    async with req.deps.db.session() as s:
        was = await subs.unmute(s, sub, company.corp_code)
    await req.reply(t(req.lang, "unmuted" if was else "not_muted", name=company.name(req.lang)))


async def on_filter_button(req: Request, data: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """A word-removal or category-toggle button: (toast, new keyboard or None)."""
    lang = req.lang
    sub = await req.own_subscriber()
    word = WORD_BUTTON_RE.match(data)
    if word is not None:
        kind = "keywords" if word.group(1) == "k" else "excludes"
        async with req.deps.db.session() as s:
            removed = await subs.remove_words(s, sub, kind, [word.group(2)])
        if not removed:
            return html.unescape(t(lang, "button_expired")), None
        markup = words_markup(sub, lang) or InlineKeyboardMarkup([])
        return html.unescape(t(lang, "word_removed", word=removed[0])), markup
    kind_match = TYPE_BUTTON_RE.match(data)
    categories = {c.id: c for c in await req.deps.services.categories()}
    if kind_match is None or kind_match.group(1) not in categories:
        return html.unescape(t(lang, "button_expired")), None
    category = categories[kind_match.group(1)]
    async with req.deps.db.session() as s:
        shown = await subs.toggle_type(s, sub, category.id)
    toast = t(lang, "type_shown" if shown else "type_hidden", name=category.name(lang))
    markup = types_markup(list(categories.values()), set(sub.hidden_types or ()), lang)
    return html.unescape(toast), markup


QUIET_RE = re.compile(r"^(\d{1,2})(?::00)?\s*[-~–]\s*(\d{1,2})(?::00)?$")


async def cmd_quiet(req: Request) -> None:
    value = req.args.strip().lower()
    if value in ("off", "끄기", "해제"):
        sub = await req.own_subscriber()
        assert sub.id is not None
        async with req.deps.db.session() as s:
            await subs.set_quiet(s, sub.id, None, None)
        await req.reply(t(req.lang, "quiet_disabled"))
        return
    m = QUIET_RE.match(value)
    start, end = (int(m.group(1)) % 24, int(m.group(2)) % 24) if m else (-1, -1)
    if not m or int(m.group(1)) > 24 or int(m.group(2)) > 24 or start == end:
        await req.reply(t(req.lang, "quiet_usage"))
        return
    sub = await req.own_subscriber()
    assert sub.id is not None
    async with req.deps.db.session() as s:
        await subs.set_quiet(s, sub.id, start, end)
    span = t(req.lang, "quiet_range", start=f"{start:02d}", end=f"{end:02d}")
    await req.reply(t(req.lang, "quiet_set", range=span))


async def cmd_digest(req: Request) -> None:
    value = req.args.strip().lower()
    if value not in ("on", "off"):
        await req.reply(t(req.lang, "digest_usage"))
        return
    sub = await req.own_subscriber()
    assert sub.id is not None
    async with req.deps.db.session() as s:
        await subs.set_digest(s, sub.id, value == "on")
    await req.reply(t(req.lang, "digest_set_on" if value == "on" else "digest_set_off"))


async def cmd_lang(req: Request) -> None:
    value = req.args.strip().lower()
    if value not in subs.LANGUAGES:
        await req.reply(t(req.lang, "lang_usage"))
        return
    sub = await req.own_subscriber()
    assert sub.id is not None
    async with req.deps.db.session() as s:
        await subs.set_language(s, sub.id, value)
    req.lang = value
    await req.reply(t(value, "lang_set"))


async def cmd_stop(req: Request) -> None:
    async with req.deps.db.session() as s:
        deleted = await subs.delete_all(s, req.chat_id)
    await req.reply(t(req.lang, "stopped" if deleted else "stop_nothing"))


async def cmd_stats(req: Request) -> None:
    lang = req.lang
    async with req.deps.db.session() as s:
        st = await subs.stats(s)
    figures: dict[str, object] = {
        "subscribers": st.active,
        "inactive": st.inactive,
        "subscriptions": st.subscriptions,
        "digest": st.digest,
        **{f"chats_{k}": v for k, v in sorted(st.by_type.items())},
    }
    try:
        figures.update(await req.deps.services.stats())
    except Exception as exc:
        figures["stats_error"] = type(exc).__name__
    lines = [t(lang, "stats_header")]
    lines += [t(lang, "stats_line", key=k, value=v) for k, v in figures.items()]
    await req.reply_lines(lines)


async def cmd_broadcast(req: Request) -> None:
    text = req.args.strip()
    if not text:
        await req.reply(t(req.lang, "broadcast_usage"))
        return
    count = await req.deps.services.broadcast(text)
    await req.reply(t(req.lang, "broadcast_queued", count=count))


RECORD_TTL_SECONDS = 600
RECORD_BUTTON_RE = re.compile(r"^rec:(ok|no):([0-9a-f]{12})$")


def parse_record(text: str) -> RecordRequest | None:
    """``MILESTONE | outcome | lg=advanced skt=eliminated | URL [URL…] [| YYYY-MM-DD]``;
    None when the shape is wrong (the timeline validates the content)."""
    parts = [p.strip() for p in text.split("|")]
    if len(parts) not in (4, 5) or not all(parts[:2]) or not parts[3]:
        return None
    teams = []
    for item in [] if parts[2] == "-" else parts[2].split():
        team, sep, result = item.partition("=")
        if not sep or not team or not result:
            return None
        teams.append((team, result))
    day = None
    if len(parts) == 5:
        try:
            day = date.fromisoformat(parts[4])
        except ValueError:
            return None
    return RecordRequest(parts[0], parts[1], tuple(teams), tuple(parts[3].split()), day)


async def cmd_record(req: Request) -> None:
    """Admins only, private chats only, and nothing is written before the confirm button."""
    lang = req.lang
    if req.chat_type != "private":
        await req.reply(t(lang, "record_private_only"))
        return
    request = parse_record(req.args)
    if request is None:
        await req.reply(t(lang, "record_usage"))
        return
    check = await req.deps.services.check_record(request, lang)
    if check.errors:
        lines = [t(lang, "record_invalid")] + [f"• {html.escape(e)}" for e in check.errors]
        await req.reply_lines(lines)
        return
    pending = req.deps.pending_records
    now = time.monotonic()
    for token in [k for k, v in pending.items() if v.expires < now]:
        del pending[token]
    token = secrets.token_hex(6)
    pending[token] = PendingRecord(req.chat_id, request, now + RECORD_TTL_SECONDS)
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(raw(lang, "record_confirm"), callback_data=f"rec:ok:{token}"),
                InlineKeyboardButton(raw(lang, "record_cancel"), callback_data=f"rec:no:{token}"),
            ]
        ]
    )
    text = t(lang, "record_preview_header") + "\n" + html.escape(check.preview)
    await req.reply(text, markup)


async def on_record_button(req: Request, data: str) -> str:
    """The confirm/cancel button of a ``/record`` preview: the toast text."""
    lang = req.lang
    m = RECORD_BUTTON_RE.match(data)
    pending = req.deps.pending_records.get(m.group(2)) if m else None
    if (
        m is None
        or pending is None
        or pending.chat_id != req.chat_id
        or pending.expires < time.monotonic()
        or not req.is_admin
        or req.chat_type != "private"
    ):
        return html.unescape(t(lang, "button_expired"))
    del req.deps.pending_records[m.group(2)]
    if m.group(1) == "no":
        return html.unescape(t(lang, "record_cancelled"))
    summary = await req.deps.services.write_record(pending.request, lang)
    await req.reply(t(lang, "record_done") + "\n" + html.escape(summary))
    return html.unescape(t(lang, "record_done"))


@dataclass(frozen=True)
class Command:
    handler: Handler
    admin: bool = False
    public: bool = True  # shown in the command menu (setMyCommands)
    #: changes the chat's subscriptions or filters: in groups, administrators only
    settings: bool = False


#: The one place commands are wired: name -> handler (menu order).
COMMANDS: dict[str, Command] = {
    "start": Command(cmd_start),
    "help": Command(cmd_help),
    "subscribe": Command(cmd_subscribe, settings=True),
    "unsubscribe": Command(cmd_unsubscribe, settings=True),
    "list": Command(cmd_list),
    "companies": Command(cmd_companies),
    "timeline": Command(cmd_timeline),
    "latest": Command(cmd_latest),
    "filter": Command(cmd_filter, settings=True),
    "keyword": Command(cmd_keyword, settings=True),
    "exclude": Command(cmd_exclude, settings=True),
    "types": Command(cmd_types, settings=True),
    "silent": Command(cmd_silent, settings=True),
    "mute": Command(cmd_mute, settings=True),
    "unmute": Command(cmd_unmute, settings=True),
    "quiet": Command(cmd_quiet, settings=True),
    "digest": Command(cmd_digest, settings=True),
    "lang": Command(cmd_lang, settings=True),
    "stop": Command(cmd_stop, settings=True),
    "stats": Command(cmd_stats, admin=True, public=False),
    "broadcast": Command(cmd_broadcast, admin=True, public=False),
    "record": Command(cmd_record, admin=True, public=False),
}


# --- buttons ------------------------------------------------------------------------


async def on_button(req: Request, data: str) -> tuple[str, InlineKeyboardMarkup | None]:
    """A subscribe/unsubscribe button: returns (toast text, new keyboard or None).

    Anything that is not one of our buttons for a watched company — forged, stale,
    or from an older version — gets "this button no longer works" and changes nothing.
    """
    lang = req.lang
    if (data or "").startswith("rec:"):
        return await on_record_button(req, data), None
    if (data or "").startswith(("kw:", "type:")):
        return await on_filter_button(req, data)
    if (data or "").startswith("lt:"):
        return await on_latest_button(req, data), None
    m = CALLBACK_RE.match(data or "")
    companies = list(await req.deps.services.companies())
    by_code = {c.corp_code: c for c in companies}
    if m and m.group(1) == "sub" and m.group(2) != "all" and m.group(2) not in by_code:
        wider = await _wider(req, m.group(2))
        if wider is None or wider.corp_code != m.group(2):
            return html.unescape(t(lang, "button_expired")), None
        sub = await req.own_subscriber()
        assert sub.id is not None
        return html.unescape(await _follow_listed(req, sub.id, m.group(2), wider.name)), None
    if not m or (m.group(2) != "all" and m.group(2) not in by_code):
        return t(lang, "button_expired"), None
    action, code = m.groups()
    if action == "unsub" and code == "all":
        return t(lang, "button_expired"), None
    sub = await req.own_subscriber()
    assert sub.id is not None
    async with req.deps.db.session() as s:
        if code == "all":
            await subs.subscribe(s, sub.id, list(by_code))
            toast = t(lang, "subscribed_all", count=len(by_code))
        elif action == "sub":
            await subs.subscribe(s, sub.id, [code])
            toast = t(lang, "subscribed", names=by_code[code].name(lang))
        else:
            await subs.unsubscribe(s, sub.id, [code])
            toast = t(lang, "unsubscribed", names=by_code[code].name(lang))
        current = set(await subs.subscriptions(s, sub.id))
    # Toasts are plain text (no parse mode): undo the escaping t() applied.
    return html.unescape(toast), keyboard(companies, current, lang)

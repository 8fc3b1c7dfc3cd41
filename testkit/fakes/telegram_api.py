"""A local fake of the Telegram Bot API, speaking its wire format at ``/bot<token>/<method>``.

It is a plain ASGI app (serve it with ``monitor.core.loopback.serve_in_thread``) so the real
python-telegram-bot client talks to it over a real socket, exactly as it talks to
api.telegram.org. What it models, because dartwatch depends on it:

- bodies: form-encoded (python-telegram-bot's choice, nested values as JSON strings),
  JSON, or query strings; ``{"ok": true, "result": ...}`` envelopes; Message objects
  shaped like Telegram's;
- HTML parse mode validated as Telegram does (allowed tags only, balanced, only the
  four named entities; anything else is 400 "can't parse entities"), and the
  4096-character limit counted in UTF-16 units after entity parsing;
- flood limits: about 30 messages/s overall and 1/s per private chat (token buckets
  with a small burst allowance, as Telegram's FAQ describes), 20/min per group or
  channel (sliding window) -> 429 with ``parameters.retry_after``; every 429 counted;
- 403 for blocked chats, 400 "chat not found", ChatMigrated for upgraded groups,
  401 for a wrong token, 409 for getUpdates while a webhook is set;
- getUpdates long polling with offsets, a bounded timeout;
- injectable faults: scripted errors, slow responses, a period of 502s.

The test side (``push_update``, ``sent_messages``, ``wait_sent`` ...) is called from
the test's thread while the server runs on its own; one lock guards the state.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import re
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

TOKEN = "123456789:AAFakeTokenForTestsOnly_abcdefghijklmno"
BOT_ID = 123456789
BOT_USERNAME = "dartwatch_test_bot"
MAX_TEXT = 4096
MAX_POLL_TIMEOUT = 5.0  # long polls are bounded so a stuck client never hangs a test

_JSON_FIELDS = {
    "reply_markup",
    "entities",
    "commands",
    "scope",
    "link_preview_options",
    "reply_parameters",
    "allowed_updates",
}
_INT_FIELDS = {"offset", "limit", "message_id", "max_connections"}
_FLOAT_FIELDS = {"timeout", "cache_time"}
_BOOL_FIELDS = {"drop_pending_updates", "disable_notification", "show_alert", "protect_content"}


class ApiError(Exception):
    """A Bot API error response."""

    def __init__(
        self, status: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.parameters:
            data["parameters"] = self.parameters
        return data


# --- HTML parse mode, as Telegram validates it ----------------------------------------

_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_TAG_RE = re.compile(
    r"([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[a-zA-Z-]+(?:\s*=\s*(?:\"[^\"]*\"|'[^']*'|[^\s\"'>]+))?)*)\s*"
)
_ATTR_RE = re.compile(r"([a-zA-Z-]+)(?:\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"'>]+)))?")
_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cant_parse(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: can't parse entities: {detail}")


def _decode_entities(src: str, base: int) -> str:
    out: list[str] = []
    i = 0
    while i < len(src):
        if src[i] == "&":
            m = _ENTITY_RE.match(src, i)
            if not m:
                raise _cant_parse(f"Character entity expected at byte offset {base + i}")
            out.append(_entity_char(m.group(1), base + i))
            i = m.end()
        else:
            out.append(src[i])
            i += 1
    return "".join(out)


def _entity_char(name: str, offset: int) -> str:
    if name.startswith(("#x", "#X")):
        return chr(int(name[2:], 16))
    if name.startswith("#"):
        return chr(int(name[1:]))
    if name in _NAMED_ENTITIES:
        return _NAMED_ENTITIES[name]
    raise _cant_parse(f'Unsupported HTML entity "&{name};" at byte offset {offset}')


def parse_html(source: str) -> tuple[str, list[dict[str, Any]]]:
    """Return (plain text, entities) for an HTML-mode text, or raise a 400 ApiError."""
    out: list[str] = []
    length16 = 0
    stack: list[tuple[str, int, dict[str, str]]] = []
    entities: list[dict[str, Any]] = []

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def emit(text: str) -> None:
        nonlocal length16
        out.append(text)
        length16 += utf16_len(text)

    i = 0
    while i < len(source):
        c = source[i]
        if c == "<":
            end = source.find(">", i)
            if end < 0:
                raise _cant_parse(f"Unclosed start tag at byte offset {byte_offset(i)}")
            inner = source[i + 1 : end]
            if inner.startswith("/"):
                name = inner[1:].strip().lower()
                if not stack:
                    raise _cant_parse(
                        f'Unexpected end tag "{name}" at byte offset {byte_offset(i)}'
                    )
                open_name, start, attrs = stack.pop()
                if open_name != name:
                    raise _cant_parse(
                        f"Unmatched end tag at byte offset {byte_offset(i)}, "
                        f'expected "</{open_name}>", found "</{name}>"'
                    )
                if length16 > start:
                    entity: dict[str, Any] = {
                        "type": _TAGS[open_name],
                        "offset": start,
                        "length": length16 - start,
                    }
                    if open_name == "a":
                        entity["url"] = attrs.get("href", "")
                    entities.append(entity)
            else:
                m = _TAG_RE.fullmatch(inner)
                if not m:
                    raise _cant_parse(f"Can't parse start tag at byte offset {byte_offset(i)}")
                name = m.group(1).lower()
                if name not in _TAGS:
                    raise _cant_parse(
                        f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}'
                    )
                attrs = {}
                for am in _ATTR_RE.finditer(m.group(2)):
                    raw = am.group(2) or am.group(3) or am.group(4) or ""
                    attrs[am.group(1).lower()] = _decode_entities(raw, byte_offset(i))
                if name == "span" and attrs.get("class") != "tg-spoiler":
                    raise _cant_parse(
                        f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(i)}'
                    )
                if name == "a" and not re.match(r"^(https?|tg)://", attrs.get("href", "")):
                    raise ApiError(400, "Bad Request: can't parse entities: URL is invalid")
                stack.append((name, length16, attrs))
            i = end + 1
        elif c == "&":
            m = _ENTITY_RE.match(source, i)
            if not m:
                raise _cant_parse(f"Character entity expected at byte offset {byte_offset(i)}")
            emit(_entity_char(m.group(1), byte_offset(i)))
            i = m.end()
        else:
            emit(c)
            i += 1
    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def validate_markup(markup: Any) -> dict[str, Any] | None:
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    rows = markup.get("inline_keyboard")
    if rows is None:
        return markup
    if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
        raise ApiError(400, 'Bad Request: field "inline_keyboard" must be an Array of Array')
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(
                    400, "Bad Request: text buttons are unallowed in the inline keyboard"
                )
            if "callback_data" in button:
                data = str(button["callback_data"])
                if not 1 <= len(data.encode("utf-8")) <= 64:
                    raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
            elif "url" in button:
                if not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
                    raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")
            else:
                raise ApiError(400, "Bad Request: BUTTON_TYPE_INVALID")
    return markup


# --- rate limits -----------------------------------------------------------------------


class _Bucket:
    """A token bucket: *rate* per second sustained, *burst* at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.burst = burst
        self.tokens = burst
        self.at = time.monotonic()

    def take(self, now: float) -> float:
        """Take a token; return 0 on success, else the seconds until one is available."""
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


@dataclass
class Limits:
    """Flood limits. Defaults follow Telegram's Bot FAQ; tests may relax them."""

    overall_per_second: float = 30.0
    overall_burst: float = 5.0
    private_per_second: float = 1.0
    private_burst: float = 3.0
    group_per_minute: int = 20
    # Messages sent with allow_paid_broadcast share this instead of the overall limit.
    paid_per_second: float = 1000.0
    paid_burst: float = 50.0
    enabled: bool = True


# --- records ---------------------------------------------------------------------------


@dataclass
class Chat:
    id: int
    type: str  # private | group | supergroup | channel
    title: str = ""
    first_name: str = ""
    username: str | None = None
    blocked: bool = False
    migrated_to: int | None = None
    left: bool = False
    #: user id -> getChatMember status (creator | administrator | member ...); users
    #: not listed are plain members of a group.
    members: dict[int, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            data["first_name"] = self.first_name or f"User{self.id}"
        else:
            data["title"] = self.title or f"Chat {self.id}"
        if self.username:
            data["username"] = self.username
        return data


def _reply_to(value: Any) -> int | None:
    if isinstance(value, dict) and isinstance(value.get("message_id"), int):
        return int(value["message_id"])
    return None


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str  # after entity parsing, as Telegram stores it
    source: str  # what the bot sent
    parse_mode: str | None
    entities: list[dict[str, Any]]
    reply_markup: dict[str, Any] | None
    at: float  # time.monotonic() when accepted
    edits: int = 0
    reply_to: int | None = None  # reply_parameters.message_id, when sent as a reply
    paid: bool = False  # sent with allow_paid_broadcast
    disable_notification: bool = False  # sent without sound

    def buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard", [])
        return [b for row in rows for b in row]

    def dart_rcept_no(self) -> str | None:
        """The filing an alert is about: its DART viewer button's receipt number."""
        for button in self.buttons():
            m = re.search(r"[?&]rcpNo=(\d{14})$", str(button.get("url", "")))
            if m:
                return m.group(1)
        return None


@dataclass
class Fault:
    status: int
    description: str
    parameters: dict[str, Any] | None = None
    method: str | None = None
    chat_id: int | None = None
    times: int = 1


@dataclass
class _State:
    updates: deque[dict[str, Any]] = field(default_factory=deque)
    chats: dict[int, Chat] = field(default_factory=dict)
    messages: dict[int, list[SentMessage]] = field(default_factory=dict)
    next_message_id: dict[int, int] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    commands: dict[tuple[str, str], list[dict[str, str]]] = field(default_factory=dict)
    callback_answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    open_callbacks: set[str] = field(default_factory=set)
    accepted: list[float] = field(default_factory=list)
    group_windows: dict[int, deque[float]] = field(default_factory=dict)
    private_buckets: dict[int, _Bucket] = field(default_factory=dict)
    throttled: int = 0
    throttled_by_chat: dict[int, int] = field(default_factory=dict)
    webhook_url: str = ""
    faults: list[Fault] = field(default_factory=list)


class FakeTelegram:
    """The fake Bot API server (an ASGI callable) plus its test-side controls."""

    def __init__(
        self,
        token: str = TOKEN,
        *,
        bot_username: str = BOT_USERNAME,
        limits: Limits | None = None,
    ) -> None:
        self.token = token
        self.bot_username = bot_username
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._s = _State()
        self._overall = _Bucket(self.limits.overall_per_second, self.limits.overall_burst)
        self._paid = _Bucket(self.limits.paid_per_second, self.limits.paid_burst)
        self._update_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._slow: tuple[float, str | None] = (0.0, None)
        self._down_until = 0.0

    # ===================================================================== test side
    @property
    def bot_user(self) -> dict[str, Any]:
        return {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": "dartwatch",
            "username": self.bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }

    def add_chat(
        self, chat_id: int, chat_type: str | None = None, *, title: str = "", name: str = ""
    ) -> Chat:
        """Make a chat known (as if the user had started the bot)."""
        with self._lock:
            return self._chat(chat_id, chat_type, title=title, name=name)

    def _chat(
        self, chat_id: int, chat_type: str | None, *, title: str = "", name: str = ""
    ) -> Chat:
        chat = self._s.chats.get(chat_id)
        if chat is None:
            kind = chat_type or ("private" if chat_id > 0 else "group")
            chat = Chat(chat_id, kind, title=title, first_name=name)
            self._s.chats[chat_id] = chat
        return chat

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """Give *user_id* a status in a group (``administrator``, ``creator``…)."""
        with self._lock:
            self._chat(chat_id, None).members[user_id] = status

    def block(self, chat_id: int) -> None:
        """The user blocks the bot (or the bot is kicked from the group)."""
        with self._lock:
            self._chat(chat_id, None).blocked = True

    def unblock(self, chat_id: int) -> None:
        with self._lock:
            self._chat(chat_id, None).blocked = False

    def migrate(self, chat_id: int, new_chat_id: int) -> None:
        """The group is upgraded to a supergroup with a new id."""
        with self._lock:
            self._chat(chat_id, "group").migrated_to = new_chat_id
            self._chat(new_chat_id, "supergroup")

    def inject(self, fault: Fault) -> None:
        """Answer the next ``fault.times`` matching requests with this error."""
        with self._lock:
            self._s.faults.append(fault)

    def slow(self, seconds: float, method: str | None = None) -> None:
        """Delay every response (of *method*, or all) by *seconds*; 0 turns it off."""
        self._slow = (seconds, method)

    def down_for(self, seconds: float) -> None:
        """Answer every request with 502 Bad Gateway for *seconds*."""
        self._down_until = time.monotonic() + seconds

    def push_update(self, update: dict[str, Any]) -> int:
        """Queue an update (built by the helpers below); return its update_id."""
        with self._lock:
            update = dict(update)
            update["update_id"] = next(self._update_ids)
            self._s.updates.append(update)
            cq = update.get("callback_query")
            if cq:
                self._s.open_callbacks.add(cq["id"])
            for key in ("message", "channel_post", "edited_message"):
                chat = (update.get(key) or {}).get("chat")
                if chat:
                    self._chat(
                        chat["id"],
                        chat["type"],
                        title=chat.get("title", ""),
                        name=chat.get("first_name", ""),
                    )
            return int(update["update_id"])

    def pending_updates(self) -> int:
        with self._lock:
            return len(self._s.updates)

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        with self._lock:
            if chat_id is not None:
                return list(self._s.messages.get(chat_id, []))
            return [m for msgs in self._s.messages.values() for m in msgs]

    def send_times(self, chat_id: int) -> list[float]:
        """Monotonic times at which messages to *chat_id* were accepted."""
        return [m.at for m in self.sent_messages(chat_id)]

    def accepted_times(self) -> list[float]:
        with self._lock:
            return list(self._s.accepted)

    @property
    def throttled(self) -> int:
        """How many 429s the server has answered."""
        with self._lock:
            return self._s.throttled

    def throttled_chats(self) -> dict[int, int]:
        """429s answered, per chat."""
        with self._lock:
            return dict(self._s.throttled_by_chat)

    def calls(self, method: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            return [p for m, p in self._s.calls if method is None or m == method]

    def commands(self, language_code: str = "", scope: str = "default") -> list[dict[str, str]]:
        with self._lock:
            return list(self._s.commands.get((scope, language_code), []))

    def callback_answer(self, callback_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._s.callback_answers.get(callback_id)

    @property
    def webhook_url(self) -> str:
        return self._s.webhook_url

    async def wait_sent(
        self, chat_id: int, count: int = 1, timeout: float = 5.0
    ) -> list[SentMessage]:
        """Wait until *chat_id* has received *count* messages; return them all."""
        deadline = time.monotonic() + timeout
        while True:
            msgs = self.sent_messages(chat_id)
            if len(msgs) >= count:
                return msgs
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"chat {chat_id}: expected {count} messages in {timeout}s, got {len(msgs)}: "
                    + repr([m.text[:80] for m in msgs])
                )
            await asyncio.sleep(0.01)

    async def wait_answered(self, callback_id: str, timeout: float = 5.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            answer = self.callback_answer(callback_id)
            if answer is not None:
                return answer
            if time.monotonic() > deadline:
                raise AssertionError(f"callback {callback_id} not answered within {timeout}s")
            await asyncio.sleep(0.01)

    async def wait_consumed(self, timeout: float = 5.0) -> None:
        """Wait until the bot has fetched (and confirmed) every pushed update."""
        deadline = time.monotonic() + timeout
        while self.pending_updates():
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.pending_updates()} updates not consumed in {timeout}s")
            await asyncio.sleep(0.01)

    # --- update builders: the JSON Telegram would send ---------------------------------
    @staticmethod
    def user(user_id: int, *, name: str = "", language_code: str | None = "ko") -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": user_id,
            "is_bot": False,
            "first_name": name or f"User{user_id}",
        }
        if language_code:
            data["language_code"] = language_code
        return data

    def _message(
        self,
        chat: dict[str, Any],
        text: str | None,
        *,
        sender: dict[str, Any] | None,
        bot_command: bool,
    ) -> dict[str, Any]:
        with self._lock:
            mid = self._s.next_message_id.get(chat["id"], 1)
            self._s.next_message_id[chat["id"]] = mid + 1
        msg: dict[str, Any] = {"message_id": mid, "date": int(time.time()), "chat": chat}
        if sender is not None:
            msg["from"] = sender
        if text is not None:
            msg["text"] = text
            if bot_command and text.startswith("/"):
                first = text.split()[0] if text.split() else text
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": utf16_len(first)}]
        return msg

    def private_text(self, user_id: int, text: str, *, language_code: str | None = "ko") -> int:
        """A private message (a command when it starts with ``/``)."""
        sender = self.user(user_id, language_code=language_code)
        chat = {"id": user_id, "type": "private", "first_name": sender["first_name"]}
        return self.push_update(
            {"message": self._message(chat, text, sender=sender, bot_command=True)}
        )

    def group_text(
        self,
        group_id: int,
        user_id: int,
        text: str,
        *,
        title: str = "Investors",
        supergroup: bool = False,
        language_code: str | None = "ko",
    ) -> int:
        sender = self.user(user_id, language_code=language_code)
        chat = {"id": group_id, "type": "supergroup" if supergroup else "group", "title": title}
        return self.push_update(
            {"message": self._message(chat, text, sender=sender, bot_command=True)}
        )

    def anonymous_group_text(
        self, group_id: int, text: str, *, title: str = "Investors", as_chat: int | None = None
    ) -> int:
        """A message an anonymous group admin sends (or a channel, with *as_chat*): Telegram
        puts GroupAnonymousBot (or Channel_Bot) in ``from`` and the real sender in
        ``sender_chat``."""
        chat = {"id": group_id, "type": "supergroup", "title": title}
        anonymous = as_chat is None
        sender = self.user(1087968824 if anonymous else 136817688, language_code=None)
        sender["is_bot"] = True
        msg = self._message(chat, text, sender=sender, bot_command=True)
        msg["sender_chat"] = (
            chat if anonymous else {"id": as_chat, "type": "channel", "title": "Some channel"}
        )
        return self.push_update({"message": msg})

    def forged_private_text(self, chat_id: int, user_id: int, text: str) -> int:
        """A private-chat update whose chat and sender differ (Telegram never sends one;
        a forger might)."""
        sender = self.user(user_id)
        chat = {"id": chat_id, "type": "private", "first_name": "Forged"}
        return self.push_update(
            {"message": self._message(chat, text, sender=sender, bot_command=True)}
        )

    def channel_post(self, channel_id: int, text: str, *, title: str = "Disclosures") -> int:
        chat = {"id": channel_id, "type": "channel", "title": title}
        msg = self._message(chat, text, sender=None, bot_command=True)
        msg["sender_chat"] = chat
        return self.push_update({"channel_post": msg})

    def sticker(self, user_id: int, *, language_code: str | None = "ko") -> int:
        sender = self.user(user_id, language_code=language_code)
        chat = {"id": user_id, "type": "private", "first_name": sender["first_name"]}
        msg = self._message(chat, None, sender=sender, bot_command=False)
        msg["sticker"] = {
            "file_id": "CAACAgIAAxkBAAEfake",
            "file_unique_id": "AgADfake",
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": "👍",
        }
        return self.push_update({"message": msg})

    def edited_text(self, user_id: int, text: str, *, language_code: str | None = "ko") -> int:
        sender = self.user(user_id, language_code=language_code)
        chat = {"id": user_id, "type": "private", "first_name": sender["first_name"]}
        msg = self._message(chat, text, sender=sender, bot_command=True)
        msg["edit_date"] = int(time.time())
        return self.push_update({"edited_message": msg})

    def callback(
        self,
        user_id: int,
        data: str,
        *,
        message: SentMessage | None = None,
        chat_id: int | None = None,
        language_code: str | None = "ko",
    ) -> str:
        """A button press on *message* (a message the bot sent); return the query id."""
        sender = self.user(user_id, language_code=language_code)
        query_id = f"cq{next(self._callback_ids)}"
        target = chat_id if chat_id is not None else (message.chat_id if message else user_id)
        with self._lock:
            chat = self._chat(target, None).as_json()
        msg: dict[str, Any] = {
            "message_id": message.message_id if message else 1,
            "date": int(time.time()),
            "chat": chat,
            "from": self.bot_user,
            "text": message.text if message else "",
        }
        if message and message.reply_markup:
            msg["reply_markup"] = message.reply_markup
        self.push_update(
            {
                "callback_query": {
                    "id": query_id,
                    "from": sender,
                    "message": msg,
                    "chat_instance": f"ci{target}",
                    "data": data,
                }
            }
        )
        return query_id

    # ===================================================================== ASGI side
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            event = await receive()
            body += event.get("body", b"")
            if not event.get("more_body"):
                break
        status, payload = await self._handle(scope, body, receive)
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def _handle(
        self, scope: dict[str, Any], body: bytes, receive: Any = None
    ) -> tuple[int, dict[str, Any]]:
        m = re.fullmatch(r"/bot([^/]+)/([A-Za-z]+)", scope.get("path", ""))
        if not m:
            return 404, ApiError(404, "Not Found").body()
        if m.group(1) != self.token:
            return 401, ApiError(401, "Unauthorized").body()
        method = m.group(2)
        try:
            params = self._params(scope, body)
        except ApiError as exc:
            return exc.status, exc.body()
        delay, slow_method = self._slow
        if delay and (slow_method is None or slow_method.lower() == method.lower()):
            await asyncio.sleep(delay)
        if time.monotonic() < self._down_until:
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        handler = getattr(self, f"_m_{method.lower()}", None)
        if handler is None:
            return 404, ApiError(404, "Not Found: method not found").body()
        with self._lock:
            self._s.calls.append((method, params))
            fault = self._take_fault(method, params)
        if fault is not None:
            return fault.status, ApiError(fault.status, fault.description, fault.parameters).body()
        try:
            if method.lower() == "getupdates":
                result = await self._get_updates(params, receive)
            else:
                with self._lock:
                    result = handler(params)
        except ApiError as exc:
            return exc.status, exc.body()
        return 200, {"ok": True, "result": result}

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self._s.faults:
            if fault.method is not None and fault.method.lower() != method.lower():
                continue
            if fault.chat_id is not None and _as_chat_id(params.get("chat_id")) != fault.chat_id:
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._s.faults.remove(fault)
            return fault
        return None

    @staticmethod
    def _params(scope: dict[str, Any], body: bytes) -> dict[str, Any]:
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        ctype = headers.get("content-type", "")
        raw: dict[str, Any] = dict(parse_qsl(scope.get("query_string", b"").decode()))
        if body:
            if ctype.startswith("application/json"):
                try:
                    data = json.loads(body)
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON object") from None
                if not isinstance(data, dict):
                    raise ApiError(400, "Bad Request: JSON object expected")
                return {**raw, **data}
            if ctype.startswith("multipart/"):
                raise ApiError(400, "Bad Request: the fake does not take files")
            raw.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        params: dict[str, Any] = {}
        for key, value in raw.items():
            if not isinstance(value, str):
                params[key] = value
            elif key in _JSON_FIELDS:
                try:
                    params[key] = json.loads(value)
                except ValueError:
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
            elif key in _INT_FIELDS:
                params[key] = int(value)
            elif key in _FLOAT_FIELDS:
                params[key] = float(value)
            elif key in _BOOL_FIELDS:
                params[key] = value.lower() in ("true", "1")
            else:
                params[key] = value
        return params

    # --- methods (called with the lock held, except getUpdates) ------------------------
    def _m_getme(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    def _m_logout(self, params: dict[str, Any]) -> Any:
        return True

    def _m_deletewebhook(self, params: dict[str, Any]) -> Any:
        self._s.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._s.updates.clear()
        return True

    def _m_setwebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url", ""))
        if url and not url.startswith("https://"):
            raise ApiError(
                400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
            )
        self._s.webhook_url = url
        if params.get("drop_pending_updates"):
            self._s.updates.clear()
        return True

    def _m_getwebhookinfo(self, params: dict[str, Any]) -> Any:
        return {
            "url": self._s.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._s.updates),
        }

    def _m_getupdates(self, params: dict[str, Any]) -> Any:  # dispatched specially
        raise AssertionError("unreachable")

    async def _get_updates(self, params: dict[str, Any], receive: Any) -> list[dict[str, Any]]:
        if self._s.webhook_url:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = max(1, min(100, int(params.get("limit") or 100)))
        timeout = max(0.0, min(float(params.get("timeout") or 0), MAX_POLL_TIMEOUT))
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                # An offset confirms every update before it: Telegram forgets them.
                while self._s.updates and self._s.updates[0]["update_id"] < offset:
                    self._s.updates.popleft()
                ready = list(itertools.islice(self._s.updates, limit))
            if ready or time.monotonic() >= deadline:
                return ready
            if receive is None:
                await asyncio.sleep(0.01)
                continue
            # Wait a little, noticing a client that gave up (a stopping bot) at once.
            try:
                event = await asyncio.wait_for(receive(), 0.01)
            except TimeoutError:
                continue
            if event.get("type") == "http.disconnect":
                return []

    def _m_setmycommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list) or not commands:
            raise ApiError(400, "Bad Request: commands must be a non-empty array")
        for cmd in commands:
            name = str(cmd.get("command", ""))
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        scope = _scope_key(params.get("scope"))
        self._s.commands[(scope, str(params.get("language_code", "")))] = commands
        return True

    def _m_getmycommands(self, params: dict[str, Any]) -> Any:
        scope = _scope_key(params.get("scope"))
        return self._s.commands.get((scope, str(params.get("language_code", ""))), [])

    def _m_deletemycommands(self, params: dict[str, Any]) -> Any:
        scope = _scope_key(params.get("scope"))
        self._s.commands.pop((scope, str(params.get("language_code", ""))), None)
        return True

    def _target(self, params: dict[str, Any]) -> Chat:
        chat_id = _as_chat_id(params.get("chat_id"))
        chat = self._s.chats.get(chat_id) if chat_id is not None else None
        if chat is None or chat.left:
            raise ApiError(400, "Bad Request: chat not found")
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        if chat.blocked:
            if chat.type == "private":
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            raise ApiError(403, f"Forbidden: bot was kicked from the {chat.type} chat")
        return chat

    def _render(self, params: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
        source = params.get("text")
        if source is None or str(source).strip() == "":
            raise ApiError(400, "Bad Request: message text is empty")
        source = str(source)
        mode = str(params.get("parse_mode") or "")
        if mode.upper() == "HTML":
            text, entities = parse_html(source)
        elif mode:
            raise ApiError(400, f"Bad Request: unsupported parse_mode {mode!r} in the fake")
        else:
            text, entities = source, list(params.get("entities") or [])
        if not text.strip():
            raise ApiError(400, "Bad Request: message text is empty")
        if utf16_len(text) > MAX_TEXT:
            raise ApiError(400, "Bad Request: message is too long")
        return text, entities

    def _throttle(self, chat: Chat, now: float, *, paid: bool = False) -> None:
        """Raise 429 when this message would exceed a flood limit (a paid broadcast
        lifts only the overall one)."""
        if not self.limits.enabled:
            return
        wait = 0.0
        window = None
        if chat.type == "private":
            bucket = self._s.private_buckets.get(chat.id)
            if bucket is None:
                bucket = _Bucket(self.limits.private_per_second, self.limits.private_burst)
                self._s.private_buckets[chat.id] = bucket
            # Peek without taking: the overall bucket must agree first.
            probe = min(bucket.burst, bucket.tokens + (now - bucket.at) * bucket.rate)
            if probe < 1:
                wait = (1 - probe) / bucket.rate
        else:
            window = self._s.group_windows.setdefault(chat.id, deque())
            while window and window[0] <= now - 60.0:
                window.popleft()
            if len(window) >= self.limits.group_per_minute:
                wait = window[0] + 60.0 - now
        if not wait:
            wait = (self._paid if paid else self._overall).take(now)
        if wait:
            self._s.throttled += 1
            self._s.throttled_by_chat[chat.id] = self._s.throttled_by_chat.get(chat.id, 0) + 1
            retry = max(1, math.ceil(wait))
            raise ApiError(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        if chat.type == "private":
            self._s.private_buckets[chat.id].take(now)
        elif window is not None:
            window.append(now)

    def _message_json(self, msg: SentMessage, chat: Chat) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "from": self.bot_user,
            "chat": chat.as_json(),
            "date": int(time.time()),
            "text": msg.text,
        }
        if msg.entities:
            data["entities"] = msg.entities
        if msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if msg.edits:
            data["edit_date"] = int(time.time())
        return data

    def _m_sendmessage(self, params: dict[str, Any]) -> Any:
        chat = self._target(params)
        text, entities = self._render(params)
        markup = validate_markup(params.get("reply_markup"))
        now = time.monotonic()
        paid = str(params.get("allow_paid_broadcast", "")).lower() in ("true", "1")
        self._throttle(chat, now, paid=paid)
        mid = self._s.next_message_id.get(chat.id, 1)
        self._s.next_message_id[chat.id] = mid + 1
        msg = SentMessage(
            chat_id=chat.id,
            message_id=mid,
            text=text,
            source=str(params["text"]),
            parse_mode=params.get("parse_mode"),
            entities=entities,
            reply_markup=markup,
            at=now,
            reply_to=_reply_to(params.get("reply_parameters")),
            paid=paid,
            disable_notification=bool(params.get("disable_notification")),
        )
        self._s.messages.setdefault(chat.id, []).append(msg)
        self._s.accepted.append(now)
        return self._message_json(msg, chat)

    def _find(self, params: dict[str, Any]) -> tuple[Chat, SentMessage]:
        chat = self._target(params)
        mid = int(params.get("message_id") or 0)
        for msg in self._s.messages.get(chat.id, []):
            if msg.message_id == mid:
                return chat, msg
        raise ApiError(400, "Bad Request: message to edit not found")

    def _m_editmessagetext(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find(params)
        text, entities = self._render(params)
        markup = validate_markup(params.get("reply_markup"))
        if text == msg.text and entities == msg.entities and markup == msg.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        msg.text, msg.entities, msg.reply_markup = text, entities, markup
        msg.source, msg.parse_mode = str(params["text"]), params.get("parse_mode")
        msg.edits += 1
        return self._message_json(msg, chat)

    def _m_editmessagereplymarkup(self, params: dict[str, Any]) -> Any:
        chat, msg = self._find(params)
        markup = validate_markup(params.get("reply_markup"))
        if markup == msg.reply_markup:
            raise ApiError(400, _NOT_MODIFIED)
        msg.reply_markup = markup
        msg.edits += 1
        return self._message_json(msg, chat)

    def _m_answercallbackquery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self._s.open_callbacks:
            raise ApiError(
                400,
                "Bad Request: query is too old and response timeout expired or query ID is invalid",
            )
        if len(str(params.get("text", ""))) > 200:
            raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
        self._s.open_callbacks.discard(query_id)
        self._s.callback_answers[query_id] = {
            "text": params.get("text"),
            "show_alert": bool(params.get("show_alert")),
        }
        return True

    def _m_getchatmember(self, params: dict[str, Any]) -> Any:
        chat = self._target(params)
        user_id = int(params.get("user_id") or 0)
        status = chat.members.get(user_id, "member")
        data: dict[str, Any] = {"status": status, "user": self.user(user_id)}
        if status == "administrator":
            data.update(
                {
                    "can_be_edited": False,
                    "is_anonymous": False,
                    "can_manage_chat": True,
                    "can_delete_messages": True,
                    "can_manage_video_chats": True,
                    "can_restrict_members": True,
                    "can_promote_members": False,
                    "can_change_info": True,
                    "can_invite_users": True,
                    "can_post_stories": False,
                    "can_edit_stories": False,
                    "can_delete_stories": False,
                }
            )
        elif status == "creator":
            data["is_anonymous"] = False
        return data

    def _m_getchat(self, params: dict[str, Any]) -> Any:
        chat = self._target(params)
        data = chat.as_json()
        data.update(
            {
                "accent_color_id": 0,
                "max_reaction_count": 11,
                "accepted_gift_types": {
                    "unlimited_gifts": False,
                    "limited_gifts": False,
                    "unique_gifts": False,
                    "premium_subscription": False,
                },
            }
        )
        return data

    def _m_leavechat(self, params: dict[str, Any]) -> Any:
        chat = self._target(params)
        chat.left = True
        return True


_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)


def _scope_key(scope: Any) -> str:
    """``default``, ``all_private_chats``..., or ``chat:<id>`` for one chat's commands."""
    if not isinstance(scope, dict):
        return "default"
    kind = str(scope.get("type", "default"))
    return f"chat:{scope.get('chat_id')}" if kind == "chat" else kind


def _as_chat_id(value: Any) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None

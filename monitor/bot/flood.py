"""Keeping one chat's flood away from every other chat.

Three pieces, wired by ``app.py``:

- :class:`CommandBudget` — a token bucket per chat for the updates the bot answers
  (commands, button presses, plain text in private chats), counted as they arrive.
  Beyond it they are dropped without a reply, and the flood is logged once.
- :class:`PerChatOrder` — updates of different chats are handled concurrently, those
  of one chat in the order they came, so a chat whose replies wait for its own
  Telegram limit does not hold up the next chat's update.
- :class:`ChatRateLimiter` — paces replies per chat (Telegram: about one message per
  second in a chat, short bursts tolerated; 20 per minute in a group; about 30 per
  second overall — docs/security.md) and, on a 429, pauses only the chat it was for.
  python-telegram-bot's ``AIORateLimiter`` pauses *every* request on any 429 and has
  no per-private-chat limit, which let 20 ``/help`` from one user delay another
  user's answer by 17 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor

log = logging.getLogger("dartwatch.telegram.bot")

MAX_TRACKED_CHATS = 10_000  # beyond this, chats whose bucket is full again are forgotten


@dataclass
class _Bucket:
    tokens: float
    at: float
    flooding: bool = False


class CommandBudget:
    """Per-chat token bucket: *burst* updates at once, *per_second* sustained.

    A chat that exceeds it is logged once per flood; the flood is over when its bucket
    has refilled completely (the chat was quiet for ``burst / per_second`` seconds).
    """

    def __init__(
        self,
        burst: float = 5.0,
        per_second: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("a command budget needs burst >= 1 and a positive rate")
        self.burst = burst
        self.per_second = per_second
        self._clock = clock
        self._chats: dict[int, _Bucket] = {}
        self.dropped = 0

    def allow(self, chat_id: int) -> bool:
        """Take one token for *chat_id*; False (and a log line once) when it has none."""
        now = self._clock()
        bucket = self._chats.get(chat_id)
        if bucket is None:
            self._forget_idle(now)
            bucket = self._chats[chat_id] = _Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.at) * self.per_second)
        bucket.at = now
        if bucket.tokens >= self.burst:
            bucket.flooding = False
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        self.dropped += 1
        if not bucket.flooding:
            bucket.flooding = True
            log.warning(
                "chat %s sends more than %g commands at once (%g/s sustained): "
                "dropping them without a reply until it slows down",
                chat_id,
                self.burst,
                self.per_second,
            )
        return False

    def _forget_idle(self, now: float) -> None:
        if len(self._chats) < MAX_TRACKED_CHATS:
            return
        full = [
            chat
            for chat, b in self._chats.items()
            if b.tokens + (now - b.at) * self.per_second >= self.burst
        ]
        for chat in full:
            del self._chats[chat]


class PerChatOrder(BaseUpdateProcessor):
    """Concurrent across chats, in order within a chat (one lock per chat with work).

    *admit* (update, chat id) decides, as each update arrives, whether it is handled at
    all; a refused update is dropped before it waits for its chat's turn.
    """

    def __init__(
        self,
        max_concurrent_updates: int = 64,
        *,
        admit: Callable[[object, int], bool] | None = None,
    ) -> None:
        super().__init__(max_concurrent_updates)
        self._admit = admit
        self._locks: dict[int, tuple[asyncio.Lock, list[int]]] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        if self._admit is not None and not self._admit(update, chat.id):
            if inspect.iscoroutine(coroutine):
                coroutine.close()  # never started: close it instead of leaving it unawaited
            return
        lock, users = self._locks.setdefault(chat.id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                await coroutine
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[chat.id]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release: the locks go with their last update."""


class ChatRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits for the bot's replies, enforced per chat.

    Private chats: *private_burst* messages at once, then one per second. Groups and
    channels (negative ids, ``@names``): 20 per minute. Overall: 30 per second. A 429
    pauses the chat it was for (every chat, when the request had none) for the time
    Telegram asked, then the request is retried, at most *max_retries* times.
    """

    def __init__(
        self,
        *,
        overall_per_second: float = 30.0,
        private_burst: float = 3.0,
        group_per_minute: float = 20.0,
        max_retries: int = 2,
    ) -> None:
        self._overall = AsyncLimiter(overall_per_second, 1.0)
        self._private_burst = private_burst
        self._group_per_minute = group_per_minute
        self._max_retries = max_retries
        self._chats: dict[int | str, AsyncLimiter] = {}
        self._paused_until: dict[int | str | None, float] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""

    def _limiter(self, chat: int | str) -> AsyncLimiter:
        limiter = self._chats.get(chat)
        if limiter is None:
            if len(self._chats) >= MAX_TRACKED_CHATS:
                idle = [c for c, lim in self._chats.items() if lim.has_capacity(lim.max_rate)]
                for c in idle:
                    del self._chats[c]
            private = isinstance(chat, int) and chat > 0
            limiter = (
                AsyncLimiter(self._private_burst, self._private_burst)  # 1/s, burst as given
                if private
                else AsyncLimiter(self._group_per_minute, 60.0)
            )
            self._chats[chat] = limiter
        return limiter

    async def _wait_pause(self, chat: int | str | None) -> None:
        while True:
            until = max(self._paused_until.get(chat, 0.0), self._paused_until.get(None, 0.0))
            delay = until - time.monotonic()
            if delay <= 0:
                return
            await asyncio.sleep(delay)

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat: int | str | None = data.get("chat_id")
        with contextlib.suppress(TypeError, ValueError):
            chat = int(chat)  # type: ignore[arg-type]
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        for attempt in range(retries + 1):
            await self._wait_pause(chat)
            if chat is not None:
                await self._limiter(chat).acquire()
            await self._overall.acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                # The private timedelta: the public attribute's type depends on PTB_TIMEDELTA.
                seconds = exc._retry_after.total_seconds() + 0.1
                now = time.monotonic()
                self._paused_until = {c: t for c, t in self._paused_until.items() if t > now}
                self._paused_until[chat] = now + seconds
                log.info("Telegram asked to wait %.1f s for chat %s", seconds, chat or "(all)")
        raise AssertionError("unreachable")  # pragma: no cover

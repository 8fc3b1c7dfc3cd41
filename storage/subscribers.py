"""Subscribers (chats that receive alerts) and their subscriptions.

Every function takes an ``AsyncSession`` so callers compose them in one transaction:
the bot wraps a command in ``db.session()``, the pipeline asks
:func:`subscribers_for_alert` inside the transaction that writes the delivery rows.
A subscriber is keyed by ``(notifier, chat_id)``; everything else refers to its ``id``.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import Delivery, Subscriber, Subscription, utcnow

TELEGRAM = "telegram"
FILTERS = ("all", "ai")
LANGUAGES = ("ko", "en")
WORD_KINDS = ("keywords", "excludes")
MAX_WORDS = 30  # per list and chat
#: A word must fit a removal button's callback data (64 bytes) with its prefix.
MAX_WORD_BYTES = 48


class SubscriberError(ValueError):
    """A setting value the subscribers table does not accept."""


@dataclass(frozen=True, slots=True)
class SubscriberStats:
    total: int
    active: int
    inactive: int
    subscriptions: int
    digest: int
    by_type: dict[str, int]


async def get(
    session: AsyncSession, chat_id: int, *, notifier: str = TELEGRAM
) -> Subscriber | None:
    result = await session.exec(
        select(Subscriber).where(Subscriber.notifier == notifier, Subscriber.chat_id == chat_id)
    )
    return result.first()


async def get_or_create(
    session: AsyncSession,
    chat_id: int,
    *,
    notifier: str = TELEGRAM,
    chat_type: str = "private",
    title: str = "",
    language: str = "ko",
) -> Subscriber:
    """The chat's subscriber, created on first contact.

    A chat that was deactivated (blocked the bot, kicked it) and talks to the bot
    again is active again: talking to the bot is proof it can receive messages.
    """
    found = await get(session, chat_id, notifier=notifier)
    if found is not None:
        if not found.active:
            found.active = True
            found.deactivated_reason = ""
            found.updated_at = utcnow()
            session.add(found)
            await session.flush()
        return found
    if language not in LANGUAGES:
        language = "ko"
    sub = Subscriber(
        notifier=notifier,
        chat_id=chat_id,
        chat_type=chat_type,
        title=title[:200],
        language=language,
    )
    session.add(sub)
    await session.flush()
    return sub


async def subscriptions(session: AsyncSession, subscriber_id: int) -> list[str]:
    result = await session.exec(
        select(Subscription.corp_code)
        .where(Subscription.subscriber_id == subscriber_id)
        .order_by(col(Subscription.corp_code))
    )
    return list(result.all())


async def subscribe(
    session: AsyncSession, subscriber_id: int, corp_codes: Iterable[str]
) -> list[str]:
    """Add subscriptions; return the corp codes that were new (in the given order)."""
    have = set(await subscriptions(session, subscriber_id))
    added: list[str] = []
    for code in corp_codes:
        if code not in have:
            session.add(Subscription(subscriber_id=subscriber_id, corp_code=code))
            have.add(code)
            added.append(code)
    await session.flush()
    return added


async def unsubscribe(
    session: AsyncSession, subscriber_id: int, corp_codes: Iterable[str] | None = None
) -> list[str]:
    """Remove the given subscriptions (all when *corp_codes* is None); return the removed."""
    have = await subscriptions(session, subscriber_id)
    wanted = have if corp_codes is None else [c for c in have if c in set(corp_codes)]
    if wanted:
        await session.exec(
            delete(Subscription).where(
                col(Subscription.subscriber_id) == subscriber_id,
                col(Subscription.corp_code).in_(wanted),
            )
        )
    return wanted


async def _set(session: AsyncSession, subscriber_id: int, **values: object) -> None:
    await session.exec(
        update(Subscriber)
        .where(col(Subscriber.id) == subscriber_id)
        .values(**values, updated_at=utcnow())
    )


async def set_language(session: AsyncSession, subscriber_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise SubscriberError(f"language must be one of {', '.join(LANGUAGES)}")
    await _set(session, subscriber_id, language=language)


async def set_filter(session: AsyncSession, subscriber_id: int, value: str) -> None:
    if value not in FILTERS:
        raise SubscriberError(f"filter must be one of {', '.join(FILTERS)}")
    await _set(session, subscriber_id, filter=value)


def normalize_word(word: str) -> str:
    """How a filter word is stored and compared: NFKC (full-width ``ＡＩ`` is ``ai``),
    casefolded, inner whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", word).casefold().split())


async def set_relevance_filter(session: AsyncSession, subscriber_id: int, value: str) -> None:
    """``/filter all|ai|N``: ``all`` and ``ai`` reset the minimum, ``N`` (0-100) sets it
    and lets non-AI filings through when they score enough."""
    if value in FILTERS:
        await _set(session, subscriber_id, filter=value, min_relevance=0)
        return
    if not value.isdigit() or not 0 <= int(value) <= 100:
        raise SubscriberError("filter must be all, ai or a number from 0 to 100")
    await _set(session, subscriber_id, filter="all", min_relevance=int(value))


async def set_silent(session: AsyncSession, subscriber_id: int, below: int | None) -> None:
    """``/silent N``: alerts scoring under N arrive without sound; None turns it off."""
    if below is not None and not 0 <= below <= 100:
        raise SubscriberError("silent threshold must be from 0 to 100")
    await _set(session, subscriber_id, silent_below=below)


async def add_words(
    session: AsyncSession, subscriber: Subscriber, kind: str, words: Iterable[str]
) -> list[str]:
    """Add normalized *words* to the chat's ``keywords`` or ``excludes``; return the new
    ones. Raises :class:`SubscriberError` for a word too long or a list too full."""
    if kind not in WORD_KINDS or subscriber.id is None:
        raise SubscriberError(f"word list must be one of {', '.join(WORD_KINDS)}")
    have: list[str] = list(getattr(subscriber, kind) or [])
    added: list[str] = []
    for word in (normalize_word(w) for w in words):
        if not word or word in have:
            continue
        if len(word.encode()) > MAX_WORD_BYTES:
            raise SubscriberError(f"a word may have at most {MAX_WORD_BYTES} bytes")
        if len(have) >= MAX_WORDS:
            raise SubscriberError(f"at most {MAX_WORDS} words per list")
        have.append(word)
        added.append(word)
    if added:
        await _set(session, subscriber.id, **{kind: have})
        setattr(subscriber, kind, have)
    return added


async def remove_words(
    session: AsyncSession, subscriber: Subscriber, kind: str, words: Iterable[str] | None = None
) -> list[str]:
    """Remove *words* (all when None) from a word list; return the removed."""
    if kind not in WORD_KINDS or subscriber.id is None:
        raise SubscriberError(f"word list must be one of {', '.join(WORD_KINDS)}")
    have: list[str] = list(getattr(subscriber, kind) or [])
    drop = set(have) if words is None else {normalize_word(w) for w in words}
    removed = [w for w in have if w in drop]
    if removed:
        kept = [w for w in have if w not in drop]
        await _set(session, subscriber.id, **{kind: kept})
        setattr(subscriber, kind, kept)
    return removed


async def toggle_type(session: AsyncSession, subscriber: Subscriber, category: str) -> bool:
    """Switch one category off (or back on) for ``/types``; return whether it is shown."""
    assert subscriber.id is not None
    hidden = list(subscriber.hidden_types or [])
    shown = category in hidden
    hidden = [c for c in hidden if c != category] if shown else [*hidden, category]
    await _set(session, subscriber.id, hidden_types=hidden)
    subscriber.hidden_types = hidden
    return shown


async def mute(
    session: AsyncSession, subscriber: Subscriber, corp_code: str, until: datetime | None
) -> None:
    """Mute a company for this chat until *until* (UTC), or until unmuted when None."""
    assert subscriber.id is not None
    mutes = dict(subscriber.mutes or {})
    mutes[corp_code] = until.isoformat() if until is not None else ""
    await _set(session, subscriber.id, mutes=mutes)
    subscriber.mutes = mutes


async def unmute(session: AsyncSession, subscriber: Subscriber, corp_code: str) -> bool:
    assert subscriber.id is not None
    mutes = dict(subscriber.mutes or {})
    if mutes.pop(corp_code, None) is None:
        return False
    await _set(session, subscriber.id, mutes=mutes)
    subscriber.mutes = mutes
    return True


async def set_quiet(
    session: AsyncSession, subscriber_id: int, start: int | None, end: int | None
) -> None:
    """Quiet hours in KST (``start`` inclusive, ``end`` exclusive); None/None turns them off."""
    if (start is None) != (end is None):
        raise SubscriberError("quiet hours need both a start and an end hour")
    if start is not None and end is not None:
        if not (0 <= start <= 23 and 0 <= end <= 23):
            raise SubscriberError("quiet hours are whole hours from 0 to 23")
        if start == end:
            raise SubscriberError("quiet hours must start and end at different hours")
    await _set(session, subscriber_id, quiet_start=start, quiet_end=end)


async def set_digest(session: AsyncSession, subscriber_id: int, on: bool) -> None:
    await _set(session, subscriber_id, digest=on)


async def deactivate(session: AsyncSession, subscriber_id: int, reason: str) -> None:
    """Stop sending to this chat (blocked, kicked, deleted); subscriptions are kept."""
    await _set(session, subscriber_id, active=False, deactivated_reason=reason[:500])


async def deactivate_chat(
    session: AsyncSession, chat_id: int, reason: str, *, notifier: str = TELEGRAM
) -> bool:
    sub = await get(session, chat_id, notifier=notifier)
    if sub is None or sub.id is None:
        return False
    await deactivate(session, sub.id, reason)
    return True


async def migrate_chat(
    session: AsyncSession, old_chat_id: int, new_chat_id: int, *, notifier: str = TELEGRAM
) -> Subscriber | None:
    """A group became a supergroup: move the subscriber to its new chat id.

    When the new id already has a subscriber (the bot saw the supergroup first), the
    old subscriptions are merged into it and the old row is removed.
    """
    old = await get(session, old_chat_id, notifier=notifier)
    if old is None or old.id is None:
        return await get(session, new_chat_id, notifier=notifier)
    new = await get(session, new_chat_id, notifier=notifier)
    if new is None:
        old.chat_id = new_chat_id
        old.chat_type = "supergroup"
        old.updated_at = utcnow()
        session.add(old)
        await session.flush()
        return old
    assert new.id is not None
    await subscribe(session, new.id, await subscriptions(session, old.id))
    await session.exec(delete(Subscription).where(col(Subscription.subscriber_id) == old.id))
    await session.exec(delete(Subscriber).where(col(Subscriber.id) == old.id))
    return new


async def delete_all(session: AsyncSession, chat_id: int, *, notifier: str = TELEGRAM) -> bool:
    """``/stop``: forget the chat — subscriptions, settings and its delivery rows."""
    sub = await get(session, chat_id, notifier=notifier)
    if sub is None or sub.id is None:
        return False
    await session.exec(delete(Subscription).where(col(Subscription.subscriber_id) == sub.id))
    await session.exec(delete(Delivery).where(col(Delivery.subscriber_id) == sub.id))
    await session.exec(delete(Subscriber).where(col(Subscriber.id) == sub.id))
    return True


def wants(subscriber: Subscriber, *, ai_related: bool) -> bool:
    """Whether the subscriber's ``/filter`` lets an alert through."""
    return subscriber.filter != "ai" or ai_related


async def subscribers_for_alert(
    session: AsyncSession,
    corp_code: str,
    *,
    ai_related: bool | None = None,
    notifier: str = TELEGRAM,
) -> list[Subscriber]:
    """Active subscribers of *corp_code*, ordered by id.

    Pass the match's ``ai_related`` to apply each subscriber's ``/filter``
    (``ai`` subscribers then only get AI-related filings); with None every active
    subscriber of the company is returned and the caller applies :func:`wants`.
    """
    stmt = (
        select(Subscriber)
        .join(Subscription, col(Subscription.subscriber_id) == col(Subscriber.id))
        .where(
            Subscriber.notifier == notifier,
            col(Subscriber.active).is_(True),
            Subscription.corp_code == corp_code,
        )
        .order_by(col(Subscriber.id))
    )
    if ai_related is False:
        stmt = stmt.where(Subscriber.filter != "ai")
    result = await session.exec(stmt)
    return list(result.all())


async def followed_companies(session: AsyncSession) -> list[str]:
    """Corp codes at least one active chat follows, sorted: what the poller adds to the
    watchlist, so a company nobody follows any more drops out by itself."""
    result = await session.exec(
        select(Subscription.corp_code)
        .join(Subscriber, col(Subscription.subscriber_id) == col(Subscriber.id))
        .where(col(Subscriber.active).is_(True))
        .distinct()
        .order_by(col(Subscription.corp_code))
    )
    return list(result.all())


async def digest_subscribers(
    session: AsyncSession, *, notifier: str = TELEGRAM
) -> list[Subscriber]:
    """Active subscribers who chose ``/digest on``."""
    result = await session.exec(
        select(Subscriber)
        .where(
            Subscriber.notifier == notifier,
            col(Subscriber.active).is_(True),
            col(Subscriber.digest).is_(True),
        )
        .order_by(col(Subscriber.id))
    )
    return list(result.all())


async def active_subscribers(
    session: AsyncSession, *, notifier: str = TELEGRAM
) -> list[Subscriber]:
    """Every active chat (``/broadcast``)."""
    result = await session.exec(
        select(Subscriber)
        .where(Subscriber.notifier == notifier, col(Subscriber.active).is_(True))
        .order_by(col(Subscriber.id))
    )
    return list(result.all())


async def by_ids(session: AsyncSession, ids: Sequence[int]) -> list[Subscriber]:
    if not ids:
        return []
    result = await session.exec(select(Subscriber).where(col(Subscriber.id).in_(list(ids))))
    return list(result.all())


async def stats(session: AsyncSession, *, notifier: str = TELEGRAM) -> SubscriberStats:
    rows = (
        await session.exec(
            select(Subscriber.chat_type, Subscriber.active, Subscriber.digest, func.count())
            .where(Subscriber.notifier == notifier)
            .group_by(col(Subscriber.chat_type), col(Subscriber.active), col(Subscriber.digest))
        )
    ).all()
    total = active = digest = 0
    by_type: dict[str, int] = {}
    for chat_type, is_active, wants_digest, n in rows:
        total += n
        if is_active:
            active += n
            by_type[chat_type] = by_type.get(chat_type, 0) + n
            if wants_digest:
                digest += n
    subs = (
        await session.exec(
            select(func.count())
            .select_from(Subscription)
            .join(Subscriber, col(Subscription.subscriber_id) == col(Subscriber.id))
            .where(Subscriber.notifier == notifier, col(Subscriber.active).is_(True))
        )
    ).one()
    return SubscriberStats(
        total=total,
        active=active,
        inactive=total - active,
        subscriptions=int(subs),
        digest=digest,
        by_type=by_type,
    )

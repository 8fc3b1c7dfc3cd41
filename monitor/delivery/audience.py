"""Who gets a message: one outbox row per destination of every enabled notifier.

Shared by alerts (the pipeline) and digests: subscriber-based notifiers (Telegram) get a
row per chat, in the chat's language and held until its quiet hours end (alerts as
``held`` rows, released together as one summary per chat); the others get a row per
fixed destination in the default language.

Alerts to subscribers also pass the chat's own filters (:mod:`monitor.delivery.routing`): the
chosen reason goes into the row's payload (``reason``, and ``silent`` for an alert sent
without sound), and chats that were skipped are reported back with theirs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from monitor.core.quiet import quiet_until
from monitor.delivery.routing import ChatFilters, FilingView, Route, route
from notifiers.base import Notifier
from storage.models import Delivery, DeliveryStatus, Subscriber
from storage.outbox import NewDelivery

SubscribersOf = Callable[[str], Awaitable[list[Subscriber]]]


def filters_of(sub: Subscriber) -> ChatFilters:
    """The routing view of a subscriber row."""
    return ChatFilters(
        filter=sub.filter,
        min_relevance=sub.min_relevance,
        keywords=tuple(sub.keywords or ()),
        excludes=tuple(sub.excludes or ()),
        hidden_types=frozenset(sub.hidden_types or ()),
        silent_below=sub.silent_below,
        mutes=dict(sub.mutes or {}),
    )


async def fan_out(
    notifiers: Mapping[str, Notifier],
    *,
    kind: str,
    ref: str,
    default_lang: str,
    now: datetime,
    subscribers_of: SubscribersOf,
    filing: FilingView | None = None,
    skipped: list[tuple[Subscriber, Route]] | None = None,
) -> list[NewDelivery]:
    """Rows for *kind* (``alert`` or ``digest``) of *ref*; *subscribers_of(notifier)*
    lists the subscribers that could receive it on a per-subscriber notifier.

    With *filing*, each such subscriber's filters decide (see :mod:`monitor.delivery.routing`);
    the ones refused are appended to *skipped* with their reason when it is given.
    """
    rows: list[NewDelivery] = []
    for name, notifier in notifiers.items():
        accepts = notifier.accepts_digests if kind == "digest" else notifier.accepts_alerts
        if not accepts:
            continue
        if notifier.per_subscriber:
            for sub in await subscribers_of(name):
                payload: dict[str, object] = {"lang": sub.language}
                if filing is not None:
                    decided = route(filters_of(sub), filing, now)
                    if not decided.deliver:
                        if skipped is not None:
                            skipped.append((sub, decided))
                        continue
                    payload["reason"] = decided.reason
                    if decided.word is not None:
                        payload["word"] = decided.word
                    if decided.silent:
                        payload["silent"] = True
                held = quiet_until(now, sub.quiet_start, sub.quiet_end)
                rows.append(
                    NewDelivery(
                        kind=kind,
                        ref=ref,
                        notifier=name,
                        destination=str(sub.chat_id),
                        subscriber_id=sub.id,
                        payload=payload,
                        next_attempt_at=held or now,
                        status=_status(kind, held),
                    )
                )
        else:
            rows.extend(
                NewDelivery(
                    kind=kind,
                    ref=ref,
                    notifier=name,
                    destination=destination,
                    payload={"lang": default_lang},
                    next_attempt_at=now,
                )
                for destination in notifier.destinations()
            )
    return rows


async def same_people(
    session: AsyncSession, original_ref: str, *, ref: str, now: datetime
) -> list[NewDelivery]:
    """Rows for *ref* to every destination that got (or is getting) the alert
    *original_ref*: a correction or withdrawal reaches the people who saw the original,
    even when their filters would now drop it. Quiet hours still hold the message."""
    query = select(Delivery).where(
        col(Delivery.kind) == "alert",
        col(Delivery.ref) == original_ref,
        col(Delivery.status).in_(
            (
                DeliveryStatus.SENT,
                DeliveryStatus.PENDING,
                DeliveryStatus.SENDING,
                DeliveryStatus.HELD,
                DeliveryStatus.BUNDLED,
            )
        ),
    )
    rows: list[NewDelivery] = []
    for delivery in (await session.exec(query)).all():
        held = None
        if delivery.subscriber_id is not None:
            sub = await session.get(Subscriber, delivery.subscriber_id)
            if sub is None or not sub.active:
                continue
            held = quiet_until(now, sub.quiet_start, sub.quiet_end)
        rows.append(
            NewDelivery(
                kind="alert",
                ref=ref,
                notifier=delivery.notifier,
                destination=delivery.destination,
                subscriber_id=delivery.subscriber_id,
                payload={"lang": delivery.payload.get("lang", "ko")},
                next_attempt_at=held or now,
                status=_status("alert", held),
            )
        )
    return rows


def _status(kind: str, held: datetime | None) -> str:
    """Alerts held through quiet hours wait as ``held``: when the hours end they are
    released together, as one summary per chat (:func:`storage.outbox.release_held`).
    Anything else simply waits for its due time."""
    return DeliveryStatus.HELD if held is not None and kind == "alert" else DeliveryStatus.PENDING


def merge_rows(*groups: list[NewDelivery]) -> list[NewDelivery]:
    """Rows of several audiences, one per (notifier, destination), first one kept."""
    seen: dict[tuple[str, str], NewDelivery] = {}
    for group in groups:
        for row in group:
            seen.setdefault((row.notifier, row.destination), row)
    return list(seen.values())

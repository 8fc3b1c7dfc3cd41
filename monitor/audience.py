"""Who gets a message: one outbox row per destination of every enabled notifier.

Shared by alerts (the pipeline) and digests: subscriber-based notifiers (Telegram) get a
row per chat, in the chat's language and held until its quiet hours end; the others get
a row per fixed destination in the default language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from monitor.quiet import quiet_until
from notifiers.base import Notifier
from storage.deliveries import NewDelivery
from storage.models import Delivery, Subscriber

SubscribersOf = Callable[[str], Awaitable[list[Subscriber]]]


async def fan_out(
    notifiers: Mapping[str, Notifier],
    *,
    kind: str,
    ref: str,
    default_lang: str,
    now: datetime,
    subscribers_of: SubscribersOf,
) -> list[NewDelivery]:
    """Rows for *kind* (``alert`` or ``digest``) of *ref*; *subscribers_of(notifier)*
    lists the subscribers that should receive it on a per-subscriber notifier."""
    rows: list[NewDelivery] = []
    for name, notifier in notifiers.items():
        accepts = notifier.accepts_digests if kind == "digest" else notifier.accepts_alerts
        if not accepts:
            continue
        if notifier.per_subscriber:
            for sub in await subscribers_of(name):
                held = quiet_until(now, sub.quiet_start, sub.quiet_end)
                rows.append(
                    NewDelivery(
                        kind=kind,
                        ref=ref,
                        notifier=name,
                        destination=str(sub.chat_id),
                        subscriber_id=sub.id,
                        payload={"lang": sub.language},
                        next_attempt_at=held or now,
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
        col(Delivery.status).in_(("sent", "pending", "sending", "held")),
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
            )
        )
    return rows


def merge_rows(*groups: list[NewDelivery]) -> list[NewDelivery]:
    """Rows of several audiences, one per (notifier, destination), first one kept."""
    seen: dict[tuple[str, str], NewDelivery] = {}
    for group in groups:
        for row in group:
            seen.setdefault((row.notifier, row.destination), row)
    return list(seen.values())

"""Who gets a message: one outbox row per destination of every enabled notifier.

Shared by alerts (the pipeline) and digests: subscriber-based notifiers (Telegram) get a
row per chat, in the chat's language and held until its quiet hours end; the others get
a row per fixed destination in the default language.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from monitor.quiet import quiet_until
from notifiers.base import Notifier
from storage.deliveries import NewDelivery
from storage.models import Subscriber

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

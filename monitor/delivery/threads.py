"""Telegram threads over the outbox: each sent alert's message id is kept on its
delivery row, so a correction or a withdrawal of the filing is sent as a reply to it."""

from __future__ import annotations

from storage import outbox as deliveries
from storage.db import Database


class OutboxMessageLog:
    """:class:`notifiers.telegram.MessageLog` backed by the ``deliveries`` table."""

    def __init__(self, db: Database, notifier: str = "telegram") -> None:
        self.db = db
        self.notifier = notifier

    async def sent(self, ref: str, destination: str, message_id: int) -> None:
        async with self.db.session() as session:
            await deliveries.set_message_id(
                session,
                ref=ref,
                notifier=self.notifier,
                destination=destination,
                message_id=message_id,
            )

    async def original(self, ref: str, destination: str) -> int | None:
        async with self.db.session() as session:
            return await deliveries.message_id_of(
                session, ref=ref, notifier=self.notifier, destination=destination
            )

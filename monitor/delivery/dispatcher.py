"""Send outbox rows through the notifiers, honouring each notifier's limits.

A claimer keeps a small queue of claimed rows filled and worker tasks send them, so
one slow destination never stalls the rest. Classification is the notifier's job
(its typed errors); the decision is made here:

- success -> ``sent``;
- :class:`TransientError` -> back to ``pending`` with exponential backoff and jitter
  (tenacity's policy), ``dead`` after ``max_attempts``; a ``retry_after`` from the
  service pauses the whole notifier and does not count as an attempt;
- :class:`DestinationGone` -> ``dropped``, the subscriber deactivated, its other
  queued rows dropped; :class:`DestinationMoved` -> re-addressed and retried;
- :class:`PermanentError` (or a payload that cannot be rebuilt) -> ``dead``.

Alerts held through a chat's quiet hours are released (at most once a second, and before
every ``run_once`` batch) by :meth:`Dispatcher.release_held`: one summary row per chat on
notifiers that summarize them, the others simply due.

"Sent" marks are buffered and written together (:func:`storage.outbox.mark_sent_many`):
in the daemon loop a marker task writes what is buffered as soon as its previous write is
done and at least ``mark_interval`` seconds after that one began (a group commit: a
trickle is marked at once, a fast stream in writes of ``rate x mark_interval`` rows),
and a worker writes them itself once ``mark_every`` are buffered. And the
alerts of a claimed batch are built with one query (:meth:`PayloadResolver.prefetch`):
that is what lets one process keep up with a fan-out (see ``docs/delivery.md``).

In-flight rows (claimed, not yet marked sent) are at most ``batch_size + concurrency``:
that is the duplicate window after a SIGKILL. Buffered marks do not widen it: a sent
row waiting for its mark takes the place of a queued one, so the claimer claims only
into the room that queued rows and buffered marks leave.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol, runtime_checkable

import sqlalchemy.exc
from tenacity import RetryCallState, wait_exponential_jitter

from monitor.core.logs import redact
from monitor.delivery.window import SendWindow
from notifiers.base import (
    Alert,
    DestinationGone,
    DestinationMoved,
    DigestMessage,
    GoneMemory,
    HeldAlerts,
    Notifier,
    NotifierError,
    Pacer,
    PermanentError,
    TransientError,
)
from storage import outbox
from storage.db import Database
from storage.models import Delivery, utcnow

log = logging.getLogger("dartwatch.dispatcher")

# Failures to reach the database while rebuilding a message: transient, unlike a
# filing that is no longer stored (LookupError) or a malformed row (ValueError).
_UNREACHABLE = (
    sqlalchemy.exc.OperationalError,
    sqlalchemy.exc.InterfaceError,
    sqlalchemy.exc.TimeoutError,
    OSError,
    TimeoutError,
)

Payload = Alert | DigestMessage | HeldAlerts | str
Resolver = Callable[[Delivery], Awaitable[Payload]]
GoneHook = Callable[[Delivery, str], Awaitable[None]]
MovedHook = Callable[[Delivery, str], Awaitable[None]]


@runtime_checkable
class Prefetching(Protocol):
    """A resolver that can build the messages of a whole claimed batch at once."""

    async def prefetch(self, rows: Sequence[Delivery]) -> int: ...


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    dropped: int = 0
    latencies: list[float] = field(default_factory=list)  # created -> sent, seconds


def backoff_seconds(attempt: int, *, initial: float = 2.0, maximum: float = 900.0) -> float:
    """Delay before retry number *attempt* (1-based), via tenacity's jittered policy."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    policy = wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
    return float(policy(state))


class Dispatcher:
    def __init__(
        self,
        db: Database,
        notifiers: Mapping[str, Notifier],
        resolver: Resolver,
        *,
        worker_id: str,
        batch_size: int = 50,
        concurrency: int = 32,
        max_attempts: int = 8,
        lease: timedelta = timedelta(seconds=30),
        backoff_initial: float = 2.0,
        backoff_max: float = 900.0,
        max_age: timedelta = timedelta(hours=24),
        on_gone: GoneHook | None = None,
        on_moved: MovedHook | None = None,
        on_sent: Callable[[Delivery, float], None] | None = None,
        mark_every: int | None = None,
        mark_interval: float = 0.02,
    ) -> None:
        self.db = db
        self.notifiers = dict(notifiers)
        self.resolver = resolver
        self.worker_id = worker_id
        # The identity claims are made under: unique to this instance, because a
        # restarted container has the same hostname and pid, and a successor with the
        # dead process's id would renew its orphaned claims forever (never sent); and
        # short, because claimed_by is VARCHAR(64) (id + ":" + 12 hex per batch).
        self.claimer = f"{worker_id[:40]}/{uuid.uuid4().hex[:10]}"
        self.batch_size = batch_size
        # Waits that are not the row's fault (Retry-After, a notifier configured away)
        # don't count as attempts; this bounds them, so nothing is retried forever.
        self.max_age = max_age
        self.concurrency = concurrency
        self.max_attempts = max_attempts
        self.lease = lease
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.on_gone = on_gone
        self.on_moved = on_moved
        self.on_sent = on_sent
        self.stats = DispatchStats()
        self._pacers = {name: Pacer(n.rate_limit()) for name, n in self.notifiers.items()}
        # Worker tasks are *concurrency*; the sends in flight to each notifier follow its
        # destination's round trip, up to that (see SendWindow).
        self.windows = {name: SendWindow(concurrency) for name in self.notifiers}
        self._dest_next: dict[tuple[str, str], float] = {}
        self._dest_locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._wake = asyncio.Event()
        # Set once half a batch of room is free (a worker finished a row) or marks
        # were written: the claimer claims again.
        self._room = asyncio.Event()
        # The claimer claims once half a batch of room is free.
        self._claim_at = max(1, batch_size // 2)
        self._queue: asyncio.Queue[Delivery | None] | None = None
        self._stopping = False
        self.shutdown_grace = 5.0
        # Destinations found gone in this process: rows already claimed for them are
        # dropped without another doomed send.
        # Forgotten after a minute: a user who unblocks and /start's again is reachable.
        self._gone = GoneMemory(60.0)
        # Ids of claimed rows a task here still holds (queued, being sent, or sent
        # with the mark not yet written).
        self._held: set[int] = set()
        # Sent rows whose "sent" mark is buffered, and those being written now.
        # A worker writes them itself once this many are buffered (the marker task
        # usually writes sooner). Half a batch at most: buffered marks take the
        # claimer's room, and it waits for half a batch of it.
        self.mark_every = min(mark_every or batch_size // 2, batch_size // 2) or 1
        self._stale_checked_at = -math.inf
        self.mark_interval = mark_interval
        # Set when a mark is buffered: wakes the marker task of the daemon loop.
        self._marks_due = asyncio.Event()
        self._unmarked: set[int] = set()
        self._marking: set[int] = set()
        # Held alerts are looked for at most this often (seconds): quiet hours end on
        # the hour, so a second's delay costs nothing, and busy loops skip the query.
        self.release_interval = 1.0
        self._last_release = float("-inf")

    def wake(self) -> None:
        """New rows were written: claim now instead of at the next idle tick."""
        self._wake.set()

    # -- one batch (CLI, tests) ---------------------------------------------------------
    async def release_held(self) -> int:
        """Alerts whose chats' quiet hours are over become due: one summary row per
        chat on notifiers that summarize them (:func:`storage.outbox.release_held`)."""
        self._last_release = time.monotonic()
        summarize = [name for name, n in self.notifiers.items() if n.summarizes_held]
        try:
            return await outbox.release_held(self.db, summarize=summarize)
        except Exception as exc:  # database down: the next tick tries again
            log.error("releasing held alerts failed: %s", redact(str(exc)))
            return 0

    async def run_once(self) -> int:
        """Claim one batch and send it; return how many rows were handled."""
        # Dead dispatchers' claims are taken back at most once a second (or a quarter
        # lease): not one more transaction for every batch of a long drain.
        if time.monotonic() - self._stale_checked_at >= min(1.0, self.lease.total_seconds() / 4):
            await outbox.release_stale(self.db, self.lease)
            self._stale_checked_at = time.monotonic()
        await self.release_held()
        batch = await outbox.claim_due(self.db, self.claimer, self.batch_size)
        await self._prefetch(batch)
        sem = asyncio.Semaphore(self.concurrency)

        async def one(row: Delivery) -> None:
            async with sem:
                await self._handle(row)

        try:
            await asyncio.gather(*(one(r) for r in batch))
        finally:
            await self._flush_marks()
        return len(batch)

    async def send_rows(self, ids: list[int]) -> int:
        """Claim exactly the rows *ids* and send each once (``dartwatch notify test``):
        other rows stay for the dispatchers whose notifiers they need."""
        batch = await outbox.claim_ids(self.db, self.claimer, ids)
        await self._prefetch(batch)
        try:
            for row in batch:
                await self._handle(row)
        finally:
            await self._flush_marks()
        return len(batch)

    async def drain(self, *, timeout: float = 60.0) -> None:
        """Send until nothing is due (tests, the demo). Bounded by *timeout*."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if await self.run_once() == 0:
                return
        raise TimeoutError("outbox not drained in time")

    # -- the daemon loop ----------------------------------------------------------------
    async def run_forever(self, stop: asyncio.Event, *, idle: float = 1.0) -> None:
        self._stopping = False
        # Unbounded: the room accounting below bounds what is claimed into it, and the
        # stop signals (one None per worker) must fit whatever is queued.
        queue: asyncio.Queue[Delivery | None] = asyncio.Queue()
        self._queue = queue
        workers = [asyncio.create_task(self._worker(queue)) for _ in range(self.concurrency)]
        marks_done = asyncio.Event()
        marker = asyncio.create_task(self._mark_continuously(marks_done))
        last_stale_check = 0.0
        try:
            while not stop.is_set():
                if time.monotonic() - last_stale_check > self.lease.total_seconds() / 4:
                    try:
                        # Our own claims first (heartbeat), then take back dead ones.
                        # Only rows a task here still holds: a claim whose follow-up
                        # failed (database connection lost after the claim committed,
                        # a "sent" mark that never arrived) must age out and be taken
                        # back, not be renewed for as long as this process lives.
                        await outbox.renew_claims(self.db, self.claimer, ids=list(self._held))
                        released = await outbox.release_stale(self.db, self.lease)
                        if released:
                            log.warning(
                                "took back %d deliveries from a dispatcher that died", released
                            )
                    except Exception as exc:
                        log.error("outbox lease check failed: %s", redact(str(exc)))
                    last_stale_check = time.monotonic()
                if time.monotonic() - self._last_release >= self.release_interval:
                    await self.release_held()
                self._room.clear()
                room = self._room_left()
                claimed = []
                has_room = room >= self._claim_at
                if has_room:
                    try:
                        claimed = await outbox.claim_due(self.db, self.claimer, room)
                    except Exception as exc:  # database down: keep the loop alive
                        log.error("claiming deliveries failed: %s", redact(str(exc)))
                await self._prefetch(claimed)
                for row in claimed:
                    if row.id is not None:
                        self._held.add(row.id)
                    queue.put_nowait(row)
                if not claimed and not has_room:
                    # Busy, not idle: claim again as soon as half a batch of room is
                    # free, not after the idle tick (that capped a backlog at about
                    # one batch per tick).
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._room.wait(), timeout=idle)
                elif not claimed:
                    self._wake.clear()
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wait_any(stop), timeout=idle)
                else:
                    await asyncio.sleep(0)
        finally:
            # Stop taking work; let workers finish the row they hold (bounded), then hand
            # back everything still claimed so another dispatcher can send it.
            self._stopping = True
            while not queue.empty():
                dropped = queue.get_nowait()
                if dropped is not None and dropped.id is not None:
                    self._held.discard(dropped.id)
                queue.task_done()
            for _ in workers:
                queue.put_nowait(None)
            _, unfinished = await asyncio.wait(workers, timeout=self.shutdown_grace)
            for w in unfinished:
                w.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            # Write the buffered marks before handing claims back: a sent row handed
            # back as pending would be sent again.
            marks_done.set()
            self._marks_due.set()
            await asyncio.gather(marker, return_exceptions=True)
            await self._flush_marks()
            try:
                released = await outbox.release_worker(self.db, self.claimer)
                if released:
                    log.info("released %d claimed deliveries at shutdown", released)
            except Exception as exc:
                log.error("could not release claimed deliveries: %s", redact(str(exc)))

    async def _prefetch(self, rows: Sequence[Delivery]) -> None:
        """Build the batch's messages at once; a failure here is decided per row later."""
        if not rows or not isinstance(self.resolver, Prefetching):
            return
        try:
            await self.resolver.prefetch(rows)
        except Exception as exc:
            log.warning("building the messages of a batch failed: %s", redact(str(exc)))

    async def _mark_continuously(self, done: asyncio.Event) -> None:
        """Write buffered "sent" marks as they come, until *done* (not cancelled: a
        flush cut short would lose the marks it holds).

        One write at a time, each at least ``mark_interval`` after the previous one
        began: at 500 deliveries/s and 20 ms that is ~10 rows a write, so a SIGKILL
        finds about that many sent and unmarked (the duplicates it causes) for ~50
        small transactions a second. After a failed write, once a second: the
        database is down, not busy."""
        while True:
            if not self._unmarked:
                if done.is_set():
                    return
                self._marks_due.clear()
                await self._marks_due.wait()
                continue
            began = time.monotonic()
            pause = (
                self.mark_interval if await self._flush_marks() else max(self.mark_interval, 1.0)
            )
            left = began + pause - time.monotonic()
            if left > 0 and not done.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), timeout=left)

    async def _flush_marks(self) -> bool:
        """Write the buffered "sent" marks in one statement; False when that failed.
        On failure (database down) they stay buffered for the next flush; until then
        the rows stay held, so the heartbeat keeps their claims and the claimer takes
        no more."""
        if not self._unmarked:
            return True
        ids, self._unmarked = self._unmarked, set()
        self._marking |= ids
        try:
            await outbox.mark_sent_many(self.db, sorted(ids))
        except Exception as exc:
            log.error("marking %d deliveries sent failed: %s", len(ids), redact(str(exc)))
            self._unmarked |= ids
            return False
        else:
            self._held -= ids
            return True
        finally:
            self._marking -= ids
            self._room.set()

    async def _wait_any(self, stop: asyncio.Event) -> None:
        waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._wake.wait())]
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waiters:
                w.cancel()

    def _room_left(self) -> int:
        """Rows the claimer may claim now: a batch, less the rows queued here and the
        sent rows whose mark is not written yet (they would be sent again after a
        crash, like the queued ones)."""
        queued = self._queue.qsize() if self._queue is not None else 0
        return self.batch_size - queued - len(self._unmarked) - len(self._marking)

    async def _worker(self, queue: asyncio.Queue[Delivery | None]) -> None:
        """Send queued rows until the None that stops this worker.

        Blocks on the queue without a timeout: 32 idle workers polling it woke the loop
        for nothing, and a timed get costs a task per row on Python 3.11."""
        while not self._stopping:
            row = await queue.get()
            if row is None:
                queue.task_done()
                return
            try:
                await self._handle(row)
            except Exception:  # _handle classifies everything; this is a last resort
                log.exception("unexpected error handling delivery %s", row.id)
            finally:
                if (
                    row.id is not None
                    and row.id not in self._unmarked
                    and row.id not in self._marking
                ):
                    self._held.discard(row.id)
                queue.task_done()
                # Wake the claimer only once there is room worth a claim: waking it
                # after every row cost a loop turn and a timer per delivery.
                if self._room_left() >= self._claim_at:
                    self._room.set()

    # -- one row ------------------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _turn(self, notifier: Notifier, row: Delivery) -> AsyncIterator[None]:
        """The row's turn to be sent: spaced after the previous send to its destination
        (when the notifier asks for spacing) and within the notifier's overall rate.

        A destination's turn is held until its send has been answered: the next row
        for the same chat starts only once a "gone" answer (blocked, chat not found)
        is known, so it is dropped instead of sent."""
        interval = notifier.min_interval_for(row.destination)
        key = (row.notifier, row.destination)
        if interval <= 0:
            await self._pacers[row.notifier].wait()
            yield
            return
        lock = self._dest_locks.setdefault(key, asyncio.Lock())
        async with lock:
            wait = self._dest_next.get(key, 0.0) - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self._pacers[row.notifier].wait()
            self._dest_next[key] = time.monotonic() + interval
            yield

    def _found_gone(self, row: Delivery) -> bool:
        return self._gone.ago(f"{row.notifier}:{row.destination}") is not None

    async def _handle(self, row: Delivery) -> None:
        assert row.id is not None
        notifier = self.notifiers.get(row.notifier)
        if notifier is None:
            if self._too_old(row):
                await self._expire(row, f"notifier {row.notifier!r} is not enabled")
                return
            # Configured away since the row was written: keep it for when it returns.
            await outbox.mark_retry(
                self.db,
                row.id,
                f"notifier {row.notifier!r} is not enabled",
                utcnow() + timedelta(minutes=10),
                count=False,
            )
            return
        if self._found_gone(row):
            await self._gone_row(row, "destination gone")
            return
        try:
            payload = await self.resolver(row)
        except _UNREACHABLE as exc:
            # The database (or a connection to it) failed, not the message: retry.
            await self._failed(notifier, row, TransientError(f"cannot build message now: {exc}"))
            return
        except Exception as exc:
            await outbox.mark_dead(self.db, row.id, f"cannot build message: {redact(str(exc))}")
            self.stats.dead += 1
            return
        async with self._turn(notifier, row):
            if self._found_gone(row):
                # Found gone while this row waited for its turn: no doomed send.
                await self._gone_row(row, "destination gone")
                return
            if not await self._attempt(notifier, row, payload):
                return
        self._unmarked.add(row.id)
        if len(self._unmarked) >= self.mark_every:
            await self._flush_marks()
        else:
            self._marks_due.set()
        self.stats.sent += 1
        latency = (utcnow() - row.created_at).total_seconds()
        self.stats.latencies.append(latency)
        if self.on_sent is not None:
            self.on_sent(row, latency)

    async def _attempt(self, notifier: Notifier, row: Delivery, payload: Payload) -> bool:
        """Send *row*; True when it went out, else the failure is already decided."""
        try:
            await self._send(notifier, row, payload)
        except DestinationMoved as exc:
            await self._moved(row, exc.new_destination)
            try:
                await self._send(notifier, row, payload, destination=exc.new_destination)
            except NotifierError as again:
                await self._failed(notifier, row, again)
                return False
        except NotifierError as exc:
            await self._failed(notifier, row, exc)
            return False
        except Exception as exc:  # an unclassified bug in a plugin: retry, loudly
            log.error(
                "notifier %s raised %s: %s", row.notifier, type(exc).__name__, redact(str(exc))
            )
            await self._failed(notifier, row, TransientError(f"{type(exc).__name__}: {exc}"))
            return False
        return True

    async def _send(
        self, notifier: Notifier, row: Delivery, payload: Payload, destination: str | None = None
    ) -> None:
        dest = destination or row.destination
        lang = str(row.payload.get("lang", "ko"))
        window = self.windows.get(row.notifier)
        if window is None:  # a notifier added after start (tests)
            window = self.windows[row.notifier] = SendWindow(self.concurrency)
        await window.acquire()
        started = time.monotonic()
        try:
            if isinstance(payload, HeldAlerts):
                silent = bool(row.payload.get("silent"))
                await notifier.send_held(payload, dest, lang=lang, silent=silent)
            elif isinstance(payload, Alert) and row.payload.get("silent"):
                await notifier.send_alert_silently(payload, dest, lang=lang)
            elif isinstance(payload, Alert):
                await notifier.send_alert(payload, dest, lang=lang)
            elif isinstance(payload, DigestMessage):
                await notifier.send_digest(payload, dest)
            else:
                await notifier.send_text(payload, dest)
        finally:
            window.release(time.monotonic() - started)

    async def _moved(self, row: Delivery, new_destination: str) -> None:
        log.info("destination %s of %s moved to %s", row.destination, row.notifier, new_destination)
        if row.subscriber_id is not None:
            await outbox.move_destination(self.db, row.subscriber_id, new_destination)
        if self.on_moved is not None:
            await self.on_moved(row, new_destination)

    async def _failed(self, notifier: Notifier, row: Delivery, exc: NotifierError) -> None:
        assert row.id is not None
        message = redact(f"{type(exc).__name__}: {exc}")
        if isinstance(exc, DestinationGone) and row.subscriber_id is not None:
            # A subscriber's chat that is gone (blocked, deleted) never comes back by
            # itself: drop this row and the chat's queue. A configured destination (a
            # webhook URL, an address) that says "gone" is a setup problem instead: it
            # falls through to the dead letters below, so that `dartwatch deliveries
            # --retry` sends it once the setting is fixed.
            self._gone.remember(f"{row.notifier}:{row.destination}")
            log.warning(
                "%s destination %s is gone (%s): deactivated",
                row.notifier,
                row.destination,
                message,
            )
            await self._gone_row(row, message)
            await outbox.drop_pending_for_subscriber(self.db, row.subscriber_id, message)
            if self.on_gone is not None:
                await self.on_gone(row, message)
            return
        if isinstance(exc, PermanentError):
            log.error("delivery %s to %s failed permanently: %s", row.id, row.notifier, message)
            await outbox.mark_dead(self.db, row.id, message)
            self.stats.dead += 1
            return
        retry_after = exc.retry_after if isinstance(exc, TransientError) else None
        if retry_after:
            if self._too_old(row):
                await self._expire(row, message)
                return
            # The service told us when: pause the notifier, and don't blame the row.
            self._pacers[row.notifier].pause(retry_after)
            await outbox.mark_retry(
                self.db, row.id, message, utcnow() + timedelta(seconds=retry_after), count=False
            )
            self.stats.retried += 1
            return
        attempt = row.attempts + 1
        if attempt >= self.max_attempts:
            log.error(
                "delivery %s to %s dead after %d attempts: %s",
                row.id,
                row.notifier,
                attempt,
                message,
            )
            await outbox.mark_dead(self.db, row.id, message)
            self.stats.dead += 1
            return
        delay = backoff_seconds(attempt, initial=self.backoff_initial, maximum=self.backoff_max)
        log.warning(
            "delivery %s to %s failed (attempt %d), retrying in %.1fs: %s",
            row.id,
            row.notifier,
            attempt,
            delay,
            message,
        )
        await outbox.mark_retry(self.db, row.id, message, utcnow() + timedelta(seconds=delay))
        self.stats.retried += 1

    def _too_old(self, row: Delivery) -> bool:
        return utcnow() - row.created_at > self.max_age

    async def _expire(self, row: Delivery, message: str) -> None:
        assert row.id is not None
        hours = self.max_age.total_seconds() / 3600
        log.error(
            "delivery %s to %s still waiting after %g h, giving up: %s",
            row.id,
            row.notifier,
            hours,
            message,
        )
        await outbox.mark_dead(self.db, row.id, f"gave up after {hours:g} h: {message}")
        self.stats.dead += 1

    async def _gone_row(self, row: Delivery, message: str) -> None:
        assert row.id is not None
        await outbox.mark_dead(self.db, row.id, message, status=outbox.DROPPED)
        self.stats.dropped += 1


def describe(row: Delivery) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "ref": row.ref,
        "notifier": row.notifier,
        "destination": row.destination,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at.isoformat() if row.next_attempt_at else None,
    }

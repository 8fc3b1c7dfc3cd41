"""The sends in flight to one notifier follow its round trip (Little's law): few to a
destination that answers at once, many to a slow one, never more than the workers."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from monitor.core.loopback import serve_in_thread
from monitor.delivery.dispatcher import Dispatcher
from monitor.delivery.payloads import PayloadResolver
from monitor.delivery.window import SendWindow, window_size
from storage.db import Database
from testkit.fakes.receiver import OutboxReceiver
from testkit.outbox import fill_outbox, webhook


def test_window_size_is_rate_times_round_trip_with_room() -> None:
    # 300/s to a receiver answering in 2 ms: about one request in flight, plus room
    assert window_size(300, 0.002, 32) == 3
    # the same rate 50 ms away needs fifteen in flight; twice that, within the maximum
    assert window_size(300, 0.05, 32) == 31
    assert window_size(300, 0.05, 8) == 8
    assert window_size(0, 0.05, 32) == 1
    assert window_size(30, 0.1, 32) == 7  # Telegram's 30/s, 100 ms away


def test_the_window_follows_the_shortest_round_trip_and_at_most_doubles() -> None:
    now = [0.0]
    w = SendWindow(32, initial=2, clock=lambda: now[0])
    limits = []
    for _ in range(400):  # 200 sends a second, each answered after 50 ms
        now[0] += 0.005
        w.in_flight += 1
        w.release(0.05)
        limits.append(w.limit)
    assert all(b <= 2 * a for a, b in itertools.pairwise(limits))
    assert abs(w.limit - window_size(200, 0.05, 32)) <= 1  # 21, give or take the rate
    settled = w.limit
    # queueing in this process makes some sends slower: the shortest still counts
    for i in range(200):
        now[0] += 0.005
        w.in_flight += 1
        w.release(0.05 if i % 10 == 0 else 0.5)
    assert w.limit == settled


async def test_acquire_waits_for_a_free_place_and_a_cancelled_waiter_passes_it_on() -> None:
    w = SendWindow(8, initial=2)
    await w.acquire()
    await w.acquire()
    third = asyncio.create_task(w.acquire())
    fourth = asyncio.create_task(w.acquire())
    await asyncio.sleep(0)
    assert not third.done() and not fourth.done() and w.in_flight == 2
    w.release(0.001)  # wakes the third, which is cancelled before it runs
    third.cancel()
    await asyncio.wait_for(fourth, timeout=1)
    assert third.cancelled() and w.in_flight == 2


@pytest.mark.parametrize(("delay", "low", "high"), [(0.05, 6, 32), (0.0, 1, 8)])
async def test_a_slow_receiver_opens_the_window_a_fast_one_keeps_it_small(
    db: Database, delay: float, low: int, high: int
) -> None:
    rx = OutboxReceiver(secret="s3cret", delay=delay)
    with serve_in_thread(rx) as base:
        notifier = webhook(f"{base}/hook", timeout=10)
        await fill_outbox(db, notifier, 300)
        d = Dispatcher(
            db, {"webhook": notifier}, PayloadResolver(db), worker_id="t", concurrency=32
        )
        try:
            await d.drain(timeout=120)
        finally:
            await notifier.close()
    assert d.stats.sent == 300 and len(rx.ids) == 300 and rx.duplicates() == 0
    assert low <= d.windows["webhook"].limit <= high

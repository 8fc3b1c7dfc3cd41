"""How many sends to keep in flight to one notifier.

The dispatcher's worker tasks (``concurrency``, 32) bound the claimed rows a process
holds; the requests actually open at once to one notifier follow its destination
instead: a webhook on the same host answers in a millisecond or two and is best served
by two or three requests in flight, a service 50 ms away by about twenty. Every request
in flight beyond what the destination's round trip needs costs CPU and buys nothing
(httpx's connection-pool bookkeeping grows with them, and each extra task wakes for
nothing): 32 in flight to a local webhook gave ~40% fewer deliveries/s than two.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections import deque
from collections.abc import Callable


def window_size(rate: float, round_trip: float, maximum: int, *, gain: float = 2.0) -> int:
    """Sends worth keeping in flight to one notifier: Little's law (in flight = rate x
    round trip), times *gain* for room to grow, plus one, within 1..*maximum*.

    A destination that answers in 2 ms at 300/s needs about one request in flight; one
    that answers in 50 ms needs fifteen."""
    wanted = math.ceil(gain * max(rate, 0.0) * max(round_trip, 0.0)) + 1
    return max(1, min(maximum, wanted))


class SendWindow:
    """The sends in flight to one notifier, at most :attr:`limit`, which follows the
    notifier's measured rate and round trip (:func:`window_size`).

    The round trip is the *shortest* of the last few seconds: once the process itself is
    the bottleneck, every send also waits for the event loop, and a mean would read that
    queueing as a slower destination and open the window further (more waiting still).
    The window starts small and at most doubles per adjustment (every 0.1 s), so a slow
    destination reaches its size within about half a second."""

    def __init__(
        self,
        maximum: int,
        *,
        initial: int = 4,
        period: float = 0.1,
        rate_span: float = 1.0,
        rtt_span: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.maximum = max(1, maximum)
        self.limit = max(1, min(initial, self.maximum))
        self.in_flight = 0
        self.period = period
        self.rate_span = rate_span
        self.rtt_span = rtt_span
        self._clock = clock
        self._done: deque[float] = deque()  # completion times, the last rate_span
        self._rtts: deque[tuple[float, float]] = deque(maxlen=2048)  # (completed, seconds)
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._adjusted = clock()

    async def acquire(self) -> None:
        while self.in_flight >= self.limit:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except BaseException:
                # Woken and cancelled at once: pass the turn on, or it would be lost.
                if waiter.done() and not waiter.cancelled():
                    self._wake()
                raise
            finally:
                with contextlib.suppress(ValueError):
                    self._waiters.remove(waiter)
        self.in_flight += 1

    def release(self, seconds: float) -> None:
        """A send that took *seconds* is over (answered, failed or timed out)."""
        self.in_flight -= 1
        now = self._clock()
        self._done.append(now)
        self._rtts.append((now, seconds))
        if now - self._adjusted >= self.period:
            self._adjust(now)
        self._wake()

    def _adjust(self, now: float) -> None:
        self._adjusted = now
        while self._done and now - self._done[0] > self.rate_span:
            self._done.popleft()
        while self._rtts and now - self._rtts[0][0] > self.rtt_span:
            self._rtts.popleft()
        if not self._done or not self._rtts:
            return
        rate = len(self._done) / max(now - self._done[0], self.period)
        round_trip = min(seconds for _, seconds in self._rtts)
        wanted = window_size(rate, round_trip, self.maximum)
        self.limit = min(wanted, 2 * self.limit)

    def _wake(self) -> None:
        free = self.limit - self.in_flight
        for waiter in self._waiters:
            if free <= 0:
                break
            if not waiter.done():
                waiter.set_result(None)
                free -= 1

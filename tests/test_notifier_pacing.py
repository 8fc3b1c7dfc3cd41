"""The pacing helpers of ``notifiers.base`` every sender shares: GoneMemory (the one
record of destinations that answered "gone") and Pacer (spacing and 429 pauses)."""

from __future__ import annotations

import time

from notifiers.base import GoneMemory, Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_remembered_destination_is_refused_until_the_memory_fades() -> None:
    clock = Clock()
    gone = GoneMemory(60.0, clock=clock)
    assert gone.ago("chat-1") is None
    gone.remember("chat-1")
    clock.now += 12.5
    assert gone.ago("chat-1") == 12.5
    assert gone.ago("chat-2") is None  # others are untouched
    clock.now += 47.5  # 60 s after: may be tried again
    assert gone.ago("chat-1") is None
    gone.remember("chat-1")  # answered gone again: refused again
    assert gone.ago("chat-1") == 0.0


async def test_pacer_spaces_starts_and_honours_a_pause() -> None:
    """Lower bounds only: a loaded machine may be slower, never faster."""
    pacer = Pacer(50.0)  # 20 ms apart
    started = time.monotonic()
    for _ in range(5):
        await pacer.wait()
    assert time.monotonic() - started >= 4 * 0.02 - 0.002
    pacer.pause(0.15)
    paused_at = time.monotonic()
    await pacer.wait()
    assert time.monotonic() - paused_at >= 0.15 - 0.002


async def test_unpaced_pacer_waits_only_for_a_pause() -> None:
    pacer = Pacer(None)
    started = time.monotonic()
    for _ in range(1000):
        await pacer.wait()
    pacer.pause(0.1)
    await pacer.wait()
    assert time.monotonic() - started >= 0.1 - 0.002

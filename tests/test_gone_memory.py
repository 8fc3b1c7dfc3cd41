"""GoneMemory: the one record of destinations that answered "gone"."""

from __future__ import annotations

from notifiers.base import GoneMemory


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

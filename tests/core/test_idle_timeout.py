"""The DashScope stream's idle timeout costs one timer per stream, not one per piece (a timer per
piece stayed alive on the app's loop until it would have fired: 20,000 for one long report)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from hitl_desktop.core.providers.dashscope_chat import _idle_limited


class CountingLoop(asyncio.SelectorEventLoop):
    timers = 0

    def call_at(self, when, callback, *args, context=None):  # type: ignore[no-untyped-def]
        CountingLoop.timers += 1
        return super().call_at(when, callback, *args, context=context)


async def pieces(count: int, stall_after: int | None = None) -> AsyncIterator[int]:
    for number in range(count):
        if number == stall_after:
            await asyncio.sleep(10)
        yield number


def run(coroutine):  # type: ignore[no-untyped-def]
    loop = CountingLoop()
    try:
        return loop.run_until_complete(coroutine)
    finally:
        loop.close()


def test_a_long_stream_sets_a_timer_or_two_not_one_per_piece() -> None:
    async def read_all() -> list[int]:
        return [item async for item in _idle_limited(pieces(5_000), timeout_s=60)]

    CountingLoop.timers = 0
    assert run(read_all()) == list(range(5_000))
    assert CountingLoop.timers <= 2


def test_a_stream_that_goes_silent_still_times_out_keeping_what_came() -> None:
    received: list[int] = []

    async def read_all() -> None:
        async for item in _idle_limited(pieces(10, stall_after=3), timeout_s=0.2):
            received.append(item)

    with pytest.raises(TimeoutError):
        run(read_all())
    assert received == [0, 1, 2]

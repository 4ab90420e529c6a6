"""Keeps a fast stream from holding the event loop, which the app's window shares.

Awaiting data that has already arrived does not suspend a coroutine: when a server sends faster
than the app handles the pieces, the HTTP client's buffer is never empty, and the task reading
the stream runs through all of it in one step. On the app's qasync loop that step is a frozen
window (hundreds of milliseconds measured, with a loopback server). `LoopShare.turn()` after each
piece suspends the task for one loop iteration once it has run for a few milliseconds without
a break, so timers, repaints and key presses are handled in between.
"""

from __future__ import annotations

import asyncio
import time

# A frame at 60 Hz is 16 ms; a quarter of it keeps other work (the view's render) inside a frame.
DEFAULT_SLICE_S = 0.004


class LoopShare:
    def __init__(self, slice_s: float = DEFAULT_SLICE_S) -> None:
        self._slice_s = slice_s
        self._since = time.perf_counter()

    async def turn(self) -> None:
        """Let the loop run other callbacks if this task has run for a whole slice."""
        if time.perf_counter() - self._since < self._slice_s:
            return
        await asyncio.sleep(0)
        self._since = time.perf_counter()

"""A 5 ms heartbeat on the GUI thread: the gaps between its ticks are how long the window froze.

Shared by the responsiveness benchmarks. A QTimer that cannot fire on time means the event loop
was busy (a slot, a render, a Python thread holding the GIL): a gap of 50 ms is a dropped
frame that a user notices, 200 ms feels stuck.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from itertools import pairwise


@dataclass
class GapStats:
    ticks: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    def line(self) -> str:
        return f"p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  max {self.max_ms:7.1f} ms  ({self.ticks} ticks)"

    def meets(self, p99_ms: float, max_ms: float) -> bool:
        return self.p99_ms <= p99_ms and self.max_ms <= max_ms


class Heartbeat:
    """Ticks every `interval_ms` on the thread that starts it; `gaps(start, end)` summarises."""

    def __init__(self, interval_ms: int = 5) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self._timer = QTimer(interval=interval_ms)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks.append(time.perf_counter())
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.ticks.append(time.perf_counter())

    def gaps(self, start: float = 0.0, end: float = float("inf")) -> GapStats:
        """Gaps between ticks from `start` to `end` (perf_counter seconds); a freeze that spans
        either edge counts, so a stall right at the start of a phase is not missed."""
        inside = [t for t in self.ticks if start <= t <= end]
        before = [t for t in self.ticks if t < start]
        after = [t for t in self.ticks if t > end]
        edges = ([before[-1]] if before else []) + inside + ([after[0]] if after else [])
        gaps = sorted((later - earlier) * 1000 for earlier, later in pairwise(edges))
        if not gaps:
            return GapStats(0, 0.0, 0.0, 0.0)
        p99 = gaps[min(len(gaps) - 1, int(len(gaps) * 0.99))]
        return GapStats(len(gaps), statistics.median(gaps), p99, gaps[-1])

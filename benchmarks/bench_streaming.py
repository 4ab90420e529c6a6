"""Is the window smooth while a long report streams in as fast as a loopback server sends it?

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_streaming.py
          [--report-chunks 20000] [--research-chunks 10000] [--table-rows 0] [--profile FILE]

The real window, bridge, workflow and DashScope SDK run a whole research-and-report cycle against
a fake DashScope server in a child process (benchmarks/loopback.py), research approved at once.
A 5 ms heartbeat QTimer ticks on the GUI thread throughout; its gaps are how long the window
could not repaint or take a key, per phase: research streaming, report streaming, and the finish
(the bridge's `finished` until the view shows the whole report, and a second more while Qt lays
it out). Baseline, in the same run: the
same heartbeat with the window idle for a second before the run (the timer's own jitter here).

Also: chunks per second reaching the window, and whether appending stays linear (the rate text
is shown in the last quarter of the report against the first, and the render time spent per
quarter). `--table-rows 500` ends the report in a 500-row table; `--profile` writes a cProfile
of the run (view it with `python -m pstats FILE`).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heartbeat import GapStats, Heartbeat  # noqa: E402
from loopback import LoopbackServer, RunTimes, isolate, open_window, run_app, run_once  # noqa: E402

P99_TARGET_MS, MAX_TARGET_MS = 20.0, 50.0
LINEAR_TARGET = 1.5


def quarters(times: RunTimes) -> tuple[list[float], list[float]]:
    """Per quarter of the report's characters: the rate they were shown (chars/s) and the
    seconds spent rendering them."""
    total = times.renders[-1][2] if times.renders else 0
    rates, render_seconds = [], []
    previous_end = times.first_report
    for quarter in range(1, 5):
        goal = total * quarter / 4
        lower = total * (quarter - 1) / 4
        shown_at = next((start + took for start, took, chars in times.renders if chars >= goal), previous_end)
        rates.append((goal - lower) / max(shown_at - previous_end, 1e-6))
        render_seconds.append(sum(took for _start, took, chars in times.renders if lower < chars <= goal))
        previous_end = shown_at
    return rates, render_seconds


def verdict(stats: GapStats) -> str:
    return "met" if stats.meets(P99_TARGET_MS, MAX_TARGET_MS) else "NOT met"


async def measure(args: argparse.Namespace) -> None:
    window = await open_window()
    heartbeat = Heartbeat(5)
    heartbeat.start()
    await asyncio.sleep(0.5)  # the window's first frames and the preload are not what we measure
    idle_from = time.perf_counter()
    await asyncio.sleep(1.0)
    idle_to = time.perf_counter()
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    times = await run_once(window)
    await asyncio.sleep(1.0)  # Qt lays a new document out lazily, a step per event-loop turn
    settled = time.perf_counter()
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    heartbeat.stop()
    chars = len(times.report.markdown)  # type: ignore[attr-defined]
    chunks = len(times.report_chars)
    streaming = times.last_report - times.first_report
    print(f"Report: {chunks:,} chunks reached the window, {chars:,} characters"
          f"{f', ending in a {args.table_rows}-row table' if args.table_rows else ''}; "
          f"{os.cpu_count()} cores\n")
    print(f"Heartbeat gaps (5 ms timer on the GUI thread; target p99 <= {P99_TARGET_MS:.0f} ms, "
          f"max <= {MAX_TARGET_MS:.0f} ms):")
    phases = {
        "idle window (baseline)": (idle_from, idle_to),
        "research streaming": (times.first_research, times.review),
        "report streaming": (times.first_report, times.last_report),
        "finish (+1 s of layout)": (times.finished, settled),
    }
    baseline = heartbeat.gaps(idle_from, idle_to)
    for name, (start, end) in phases.items():
        stats = heartbeat.gaps(start, end)
        ratio = stats.max_ms / max(baseline.max_ms, 1e-3)
        print(f"  {name:26s} {stats.line()}  max {ratio:5.1f}x baseline  {verdict(stats)}")
    print(f"  finish took {(times.shown - times.finished) * 1000:.0f} ms until the view showed all of it")
    print(f"\nRate: {chunks / max(streaming, 1e-6):,.0f} chunks/s, {chars / max(streaming, 1e-6):,.0f} chars/s "
          f"reached the window over {streaming:.2f} s")
    rates, renders = quarters(times)
    ratio = rates[0] / max(rates[-1], 1e-6)
    print("Text shown per quarter of the report (chars/s): "
          + "  ".join(f"{rate:,.0f}" for rate in rates))
    print(f"  first quarter / last quarter: {ratio:.2f}x (target <= {LINEAR_TARGET}x: "
          f"{'met' if ratio <= LINEAR_TARGET else 'NOT met'})")
    print("Render time per quarter (s): " + "  ".join(f"{seconds:.3f}" for seconds in renders)
          + f"  (last / first {renders[-1] / max(renders[0], 1e-6):.2f}x)")
    window.close()  # type: ignore[attr-defined]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-chunks", type=int, default=20_000)
    parser.add_argument("--research-chunks", type=int, default=10_000)
    parser.add_argument("--table-rows", type=int, default=0)
    parser.add_argument("--profile", help="write a cProfile of the run to this file")
    args = parser.parse_args()
    with LoopbackServer(args.research_chunks, args.report_chunks, args.table_rows) as server:
        isolate(server.base_url)
        run_app(lambda: measure(args))


if __name__ == "__main__":
    main()

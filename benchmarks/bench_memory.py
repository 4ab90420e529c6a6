"""Memory: the app's resident size after start-up, after a long run, and over many runs.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_memory.py [--runs 20] [--report-chunks 20000]

The real window runs whole research-and-report cycles against the loopback DashScope server
(benchmarks/loopback.py), research approved at once, one after another. Resident memory (VmRSS)
is read after the window is up with its preload done, after the first run, and after each further
run. Baseline, in the same run: a bare PySide6 window's resident size (its own process).
Targets: <= 200 MB after start-up and preload, <= 250 MB after a 20,000-chunk run, and no growth
over the runs (the last within 10% of the first run's).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from loopback import LoopbackServer, isolate, open_window, run_app, run_once  # noqa: E402

BARE_WINDOW = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1120, 760)
window.show()
def report():
    with open("/proc/self/status") as status:
        print(next(line.split()[1] for line in status if line.startswith("VmRSS:")), flush=True)
    app.quit()
QTimer.singleShot(1000, report)
app.exec()
"""


def rss_mb() -> float:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def bare_window_mb() -> float:
    result = subprocess.run([sys.executable, "-c", BARE_WINDOW], capture_output=True, text=True,
                            timeout=60, check=True, env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    return int(result.stdout.split()[-1]) / 1024


async def measure(runs: int, bare: float) -> None:
    window = await open_window()
    await asyncio.sleep(0.5)
    started = rss_mb()
    after: list[float] = []
    chunks = 0
    for number in range(1, runs + 1):
        times = await run_once(window)
        chunks = len(times.report_chars)
        del times
        await asyncio.sleep(0.2)  # deferred deletions (the review dialog) happen on the loop
        gc.collect()
        after.append(rss_mb())
        print(f"  run {number:2d}: {after[-1]:6.1f} MB", flush=True)
    window.close()  # type: ignore[attr-defined]
    first, last = after[0], after[-1]
    growth = (last - first) / first
    print(f"\nResident memory ({os.cpu_count()} cores; reports of {chunks:,} chunks):")
    print(f"  bare PySide6 window (baseline)      {bare:6.1f} MB")
    print(f"  after start-up and preload          {started:6.1f} MB  {started / bare:4.1f}x baseline  "
          f"(target <= 200 MB: {'met' if started <= 200 else 'NOT met'})")
    print(f"  after the first run                 {first:6.1f} MB  {first / bare:4.1f}x baseline  "
          f"(target <= 250 MB: {'met' if first <= 250 else 'NOT met'})")
    print(f"  after run {runs:<2d}                        {last:6.1f} MB  {growth:+.1%} since the first "
          f"(target within 10%: {'met' if abs(growth) <= 0.10 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--report-chunks", type=int, default=20_000)
    parser.add_argument("--research-chunks", type=int, default=2_000)
    args = parser.parse_args()
    bare = bare_window_mb()
    with LoopbackServer(args.research_chunks, args.report_chunks, runs=args.runs) as server:
        isolate(server.base_url)
        run_app(lambda: measure(args.runs, bare))


if __name__ == "__main__":
    main()

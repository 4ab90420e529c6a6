"""Does the window stay responsive while a long report is exported in every format?

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_export_responsiveness.py [--words 100000]

A 10 ms QTimer ticks on the app's qasync loop while Export All writes a ≈290-page report; the
longest gap between ticks is how long the window could not repaint or take a key press.
Baseline, in the same run: the same export on the UI thread (how it worked before exports moved
to a worker QThread). Every format the app offers is written, the PDF included (registered as
the app registers it). A long report renders in second processes (core/export/render_process.py),
so the app's own process only waits and writes; before that, Qt's calls that hold Python's GIL
(the PDF's HTML import and layout) showed up as gaps.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from itertools import pairwise
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_export import long_report  # noqa: E402

from hitl_desktop.core import export  # noqa: E402
from hitl_desktop.ui import pdf_export  # noqa: E402,F401 (registers .pdf, as the app does)


async def longest_gap(run: Callable[[], Awaitable[object]]) -> tuple[float, float]:
    """Seconds `run` took, and the longest gap between ticks of a 10 ms timer meanwhile."""
    from PySide6.QtCore import QTimer

    ticks: list[float] = []
    timer = QTimer(interval=10)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()
    await asyncio.sleep(0.05)
    started = time.perf_counter()
    ticks.append(started)
    await run()
    finished = time.perf_counter()
    await asyncio.sleep(0.05)
    timer.stop()
    during = [tick for tick in ticks if tick >= started] + [finished]
    return finished - started, max(later - earlier for earlier, later in pairwise(during))


async def measure(words: int, repeat: int) -> None:
    from hitl_desktop.ui.threads import run_on_worker_thread

    report = long_report(words)
    with tempfile.TemporaryDirectory() as folder:
        def export_all() -> list[Path]:
            return export.save_all(Path(folder), "report", report)

        async def on_ui_thread() -> object:
            return export_all()

        async def on_worker() -> object:
            return await run_on_worker_thread(export_all)

        results: dict[str, list[tuple[float, float]]] = {"UI thread (baseline)": [], "worker QThread": []}
        for _ in range(repeat):  # interleaved, so machine load hits both alike
            results["UI thread (baseline)"].append(await longest_gap(on_ui_thread))
            results["worker QThread"].append(await longest_gap(on_worker))
    print(f"Export All of {words:,} words, median of {repeat} runs:\n")
    print(f"{'':24}{'export s':>10}{'longest freeze s':>18}")
    medians = {}
    for name, runs in results.items():
        seconds = statistics.median(run[0] for run in runs)
        gap = statistics.median(run[1] for run in runs)
        medians[name] = gap
        print(f"{name:24}{seconds:>10.2f}{gap:>18.3f}")
    ratio = medians["worker QThread"] / medians["UI thread (baseline)"]
    print(f"\nLongest freeze with the worker: {ratio:.2f}× the baseline's")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(measure(args.words, args.repeat))


if __name__ == "__main__":
    main()

"""Does the window stay responsive when a huge report is shown whole (the end of a stream)?

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_finish.py [--cases table100,table500,...]

For each case a report view in a window-sized frame gets `show_report(text)` while a 5 ms
heartbeat QTimer ticks on the GUI thread; measured until the view shows the text and one second
more (Qt lays a new document out lazily): the longest gap and p99 between ticks, and the time
until the text was shown. Baseline, in the same run: Qt's own `QTextDocument.setMarkdown` of the
same text into a document no view shows (what one call holding the GUI thread costs at least;
none for the 100,000-row table, which Qt imports in time quadratic in its rows).
Targets: max gap <= 50 ms, p99 <= 20 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from heartbeat import Heartbeat  # noqa: E402
from loopback import big_table, markdown_text, run_app  # noqa: E402

# Qt's Markdown import of a table takes time quadratic in its rows (4,000 rows: 1.6 s; 100,000
# would take many minutes), so that case has no baseline.
_QUADRATIC = {"table100k"}
CASES: dict[str, Callable[[], str]] = {
    "table100": lambda: "# Sites\n\n" + big_table(100),
    "table250": lambda: "# Sites\n\n" + big_table(250),
    "table500": lambda: "# Sites\n\n" + big_table(500),
    "table100k": lambda: "# Sites\n\n" + big_table(100_000),
    "report20k": lambda: markdown_text(20_000, seed=11, heading="Tidal Power"),
    "text5MB": lambda: markdown_text(700_000, seed=1, heading="Big")[:5_000_000],
    "nested10k": lambda: "- " * 10_000 + "deep\n",
}


async def measure(names: list[str]) -> None:
    from PySide6.QtGui import QTextDocument
    from PySide6.QtWidgets import QMainWindow

    from hitl_desktop.ui.widgets.report_view import ReportView
    from hitl_desktop.ui.widgets.markdown_render import MARKDOWN_FEATURES

    print(f"show_report of each text in a 1120x760 window; {os.cpu_count()} cores\n")
    print(f"{'case':11} {'chars':>10} {'Qt setMarkdown':>15} {'shown after':>12} {'p99 gap':>8} "
          f"{'max gap':>8} {'max/base':>9}  target")
    frame = QMainWindow()
    frame.resize(1120, 760)
    frame.show()
    for name in names:
        text = CASES[name]()
        if name in _QUADRATIC:
            baseline = float("nan")  # Qt imports a table in time quadratic in its rows
        else:
            started = time.perf_counter()
            QTextDocument().setMarkdown(text, MARKDOWN_FEATURES)
            baseline = time.perf_counter() - started
        view = ReportView()
        frame.setCentralWidget(view)  # the last case's view goes
        await asyncio.sleep(0.5)
        gc.collect()  # the last case's garbage is not this case's work
        heartbeat = Heartbeat(5)
        heartbeat.start()
        await asyncio.sleep(0.2)
        started = time.perf_counter()
        view.show_report(text)
        while getattr(view, "is_rendering", lambda: False)():
            await asyncio.sleep(0.005)
        shown = time.perf_counter()
        await asyncio.sleep(1.0)
        heartbeat.stop()
        gaps = heartbeat.gaps(started, time.perf_counter())
        met = "met" if gaps.meets(20, 50) else "NOT met"
        base = "minutes" if baseline != baseline else f"{baseline * 1000:.0f} ms"
        ratio = "" if baseline != baseline else f"{gaps.max_ms / 1000 / max(baseline, 1e-4):.2f}x"
        print(f"{name:11} {len(text):>10,} {base:>15} {(shown - started) * 1000:>9.0f} ms "
              f"{gaps.p99_ms:>5.0f} ms {gaps.max_ms:>5.0f} ms {ratio:>9}  {met}", flush=True)
    frame.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default=",".join(CASES), help="comma-separated, of: " + ", ".join(CASES))
    args = parser.parse_args()
    names = [name.strip() for name in args.cases.split(",") if name.strip()]
    unknown = [name for name in names if name not in CASES]
    if unknown:
        parser.error(f"unknown cases: {', '.join(unknown)}")
    run_app(lambda: measure(names))


if __name__ == "__main__":
    main()

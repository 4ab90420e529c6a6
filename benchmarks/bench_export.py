"""How long exporting a long report (≈100k words, ≈200 PDF pages) takes, per format.

Run:  QT_QPA_PLATFORM=offscreen python benchmarks/bench_export.py [--words 100000] [--repeat 3]

Two baselines are measured in the same run, so the ratios hold on any machine:
  * "raw write": the Markdown string written to disk atomically (the cost floor of any save);
  * "Qt setMarkdown": QTextDocument.setMarkdown of the same text plus laying it out on pages
    (what Qt itself needs just to show the report).
Target (issue 13): Export All (every format, `export.save_all`) within 2 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hitl_desktop.core import export  # noqa: E402
from hitl_desktop.core.atomic_file import atomic_write_text  # noqa: E402
from hitl_desktop.core.models import Report  # noqa: E402

_WORDS = ("tidal energy array turbine cost predictable grid estuary barrage lagoon capacity "
          "investment policy europe scotland france coast current research storage market "
          "maintenance survey output forecast levelised subsidy operator offshore").split()


def long_report(words: int, seed: int = 7) -> Report:
    """A report shaped like a real one: sections of paragraphs, lists, a table, code, links."""
    rng = random.Random(seed)
    parts = ["# A Long Report on Tidal Power\n"]
    written = 0
    section = 0

    def sentence() -> str:
        body = " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 18)))
        return body.capitalize() + "."

    while written < words:
        section += 1
        parts.append(f"## Section {section}: {rng.choice(_WORDS).title()} findings\n")
        for _ in range(4):
            paragraph = " ".join(sentence() for _ in range(rng.randint(4, 7)))
            paragraph += f" See [source {section}](https://example.org/s/{section}) and **key** *terms*."
            parts.append(paragraph + "\n")
            written += len(paragraph.split())
        parts.append("".join(f"- {sentence()}\n" for _ in range(4)))
        parts.append("".join(f"{n}. {sentence()}\n" for n in range(1, 4)))
        parts.append("| Site | Capacity (MW) | Cost (EUR/MWh) |\n|---|---:|---:|\n" + "".join(
            f"| {rng.choice(_WORDS).title()} | {rng.randint(1, 400)} | {rng.randint(80, 300)} |\n"
            for _ in range(4)))
        if section % 5 == 0:
            parts.append("```python\nlcoe = capex * crf / annual_mwh + opex_per_mwh\n```\n")
        written += 4 * 13 + 3 * 13 + 16
    return Report(topic="Tidal power in Europe", markdown="\n".join(parts), rounds=3,
                  model="qwen-plus", created_at=datetime(2026, 11, 25, tzinfo=timezone.utc))


def timed(repeat: int, work: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QGuiApplication, QTextDocument

    app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])  # noqa: F841 (fonts need it)
    report = long_report(args.words)
    from hitl_desktop.ui.pdf_export import render_pdf

    pages = len(__import__("pypdf").PdfReader(__import__("io").BytesIO(render_pdf(report))).pages)
    print(f"Report: {len(report.markdown.split()):,} words, {len(report.markdown):,} characters, "
          f"{pages} PDF pages; median of {args.repeat} runs on {os.cpu_count()} cores\n")

    with tempfile.TemporaryDirectory() as folder:
        raw = timed(args.repeat, lambda: atomic_write_text(Path(folder) / "raw.md", report.markdown))

        def qt_markdown() -> None:
            document = QTextDocument()
            document.setMarkdown(report.markdown)
            document.setPageSize(QSizeF(595, 842))
            document.pageCount()

        qt = timed(args.repeat, qt_markdown)
        print(f"{'baseline':<22}{'seconds':>9}")
        print(f"{'raw write':<22}{raw:>9.3f}")
        print(f"{'Qt setMarkdown+layout':<22}{qt:>9.3f}\n")
        print(f"{'format':<22}{'seconds':>9}{'× raw write':>13}{'× Qt markdown':>15}{'size':>10}")
        total = 0.0
        for suffix in export.FORMATS:
            target = Path(folder) / f"report{suffix}"
            seconds = timed(args.repeat, lambda target=target: export.save_report(target, report))
            total += seconds
            size = target.stat().st_size
            print(f"{suffix:<22}{seconds:>9.3f}{seconds / raw:>13.0f}{seconds / qt:>15.2f}"
                  f"{size / 1024:>9.0f}K")
        print(f"\n{'sum of the formats':<22}{total:>9.3f}   ({total / qt:.1f}× Qt's own setMarkdown)")
        # What Export All does: one parse for every format, the PDF beside the others.
        together = timed(args.repeat, lambda: export.save_all(folder, "all", report))
        verdict = "within" if together <= 2 else "OVER"
        print(f"{'Export All (save_all)':<22}{together:>9.3f}   ({verdict} the 2 s target; "
              f"{together / qt:.1f}× Qt's own setMarkdown)")


if __name__ == "__main__":
    main()

"""A fake DashScope server in its own process, and the app's window driven against it in this one.

Shared by bench_streaming.py and bench_memory.py. The server runs in a child process so that its
Python work (JSON, chunked writes) does not compete for this process's GIL: the window sees
chunks as fast as a loopback server sends them, as it would see a fast real provider.

    python benchmarks/loopback.py --serve --research-chunks N --report-chunks N [--table-rows N]

prints the server's base URL on its first line and serves until its stdin closes; each pair of
requests gets the research reply, then the report reply.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

_WORDS = ("tidal energy array turbine cost predictable grid estuary barrage lagoon capacity "
          "investment policy europe scotland france coast current research storage market "
          "maintenance survey output forecast levelised subsidy operator offshore").split()
T = TypeVar("T")
_TOKEN = re.compile(r"\S+\s*|\s+")


def tokens(text: str) -> list[str]:
    """`text` cut the way a model streams it: a word and the white space after it per piece."""
    return _TOKEN.findall(text)


def markdown_text(chunks: int, seed: int, heading: str) -> str:
    """Report-like Markdown of at least `chunks` tokens: headings, paragraphs, lists, small tables."""
    rng = random.Random(seed)
    parts = [f"# {heading}\n\n"]
    count = 0
    section = 0

    def sentence() -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(rng.randint(8, 18))).capitalize() + "."

    while count < chunks:
        section += 1
        block = [f"## Section {section}: {rng.choice(_WORDS).title()} findings\n\n"]
        for _ in range(3):
            block.append(" ".join(sentence() for _ in range(rng.randint(3, 6)))
                         + f" See [source {section}](https://example.org/s/{section}) and **key** *terms*.\n\n")
        block.append("".join(f"- {sentence()}\n" for _ in range(3)) + "\n")
        block.append("".join(f"{n}. {sentence()}\n" for n in range(1, 4)) + "\n")
        block.append("| Site | Capacity (MW) | Cost (EUR/MWh) |\n|---|---:|---:|\n" + "".join(
            f"| {rng.choice(_WORDS).title()} | {rng.randint(1, 400)} | {rng.randint(80, 300)} |\n"
            for _ in range(3)) + "\n")
        if section % 5 == 0:
            block.append("```python\nlcoe = capex * crf / annual_mwh + opex_per_mwh\n```\n\n")
        text = "".join(block)
        parts.append(text)
        count += len(tokens(text))
    return "".join(parts)


def big_table(rows: int, seed: int = 3) -> str:
    rng = random.Random(seed)
    lines = ["## All sites\n\n| # | Site | Country | Capacity (MW) | Cost (EUR/MWh) | Notes |",
             "|---:|---|---|---:|---:|---|"]
    for number in range(1, rows + 1):
        lines.append(f"| {number} | {rng.choice(_WORDS).title()} {number} | {rng.choice(_WORDS).title()} | "
                     f"{rng.randint(1, 400)} | {rng.randint(80, 300)} | "
                     f"{' '.join(rng.choice(_WORDS) for _ in range(6))} |")
    return "\n".join(lines) + "\n"


def report_chunks(count: int, table_rows: int = 0) -> list[str]:
    """`count` pieces of a report (the last ones a `table_rows`-row table when asked)."""
    table = tokens(big_table(table_rows)) if table_rows else []
    body = tokens(markdown_text(max(count - len(table), 1), seed=11, heading="Tidal Power in Europe"))
    return body[:max(count - len(table), 1)] + ["\n\n"] + table


def research_chunks(count: int) -> list[str]:
    return tokens(markdown_text(count, seed=5, heading="Research notes"))[:count]


def serve(args: argparse.Namespace) -> None:
    from fake_dashscope import FakeDashScopeServer, Stream

    research = Stream(research_chunks(args.research_chunks))
    report = Stream(report_chunks(args.report_chunks, args.table_rows))
    with FakeDashScopeServer() as server:
        server.fake.replies = [research, report] * args.runs
        print(server.base_url, flush=True)
        sys.stdin.read()  # until the parent closes it


@dataclass
class LoopbackServer:
    """The serving child process; `base_url` once it is up."""

    research_chunks: int
    report_chunks: int
    table_rows: int = 0
    runs: int = 1
    base_url: str = ""
    _process: subprocess.Popen[str] | None = field(default=None, repr=False)

    def __enter__(self) -> LoopbackServer:
        self._process = subprocess.Popen(
            [sys.executable, __file__, "--serve", "--research-chunks", str(self.research_chunks),
             "--report-chunks", str(self.report_chunks), "--table-rows", str(self.table_rows),
             "--runs", str(self.runs)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self._process.stdout is not None
        self.base_url = self._process.stdout.readline().strip()
        if not self.base_url:
            raise RuntimeError("the loopback server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._process is not None and self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=10)


def isolate(base_url: str) -> Path:
    """This process's environment as a fresh user's, with the DashScope key and the loopback URL."""
    home = Path(tempfile.mkdtemp(prefix="hitl-bench-"))
    for name, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                      ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache")):
        (home / sub).mkdir(parents=True, exist_ok=True)
        os.environ[name] = str(home / sub)
    for name in ("OPENAI_API_KEY", "HITL_DESKTOP_PROVIDER", "HITL_DESKTOP_MODEL", "DBUS_SESSION_BUS_ADDRESS"):
        os.environ.pop(name, None)
    os.environ.update(QT_QPA_PLATFORM=os.environ.get("QT_QPA_PLATFORM", "offscreen"),
                      DASHSCOPE_API_KEY="sk-benchmark-0123456789", DASHSCOPE_HTTP_BASE_URL=base_url,
                      NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    return home


@dataclass
class RunTimes:
    """perf_counter times of what one run did, seen from the window."""

    started: float = 0.0
    first_research: float = 0.0
    review: float = 0.0
    first_report: float = 0.0
    last_report: float = 0.0
    finished: float = 0.0
    shown: float = 0.0  # the view has rendered the finished report (at once, or when its last step ran)
    report_chars: list[tuple[float, int]] = field(default_factory=list)  # (time, chars received)
    renders: list[tuple[float, float, int]] = field(default_factory=list)  # (start, seconds, chars shown)
    report: object = None


async def run_once(window: object, topic: str = "tidal power") -> RunTimes:
    """Start a run in `window`, approve its research, and wait until the report is shown."""
    import asyncio

    from PySide6.QtCore import QTimer

    from hitl_desktop.ui.automation import AutomatedRun

    times = RunTimes()
    bridge, view = window.bridge, window.reportView  # type: ignore[attr-defined]
    received = 0

    def on_research(_run_id: str, _delta: object) -> None:
        times.first_research = times.first_research or time.perf_counter()

    def on_report(_run_id: str, text: str) -> None:
        nonlocal received
        now = time.perf_counter()
        times.first_report = times.first_report or now
        times.last_report = now
        received += len(text)
        times.report_chars.append((now, received))

    def on_finished(_run_id: str, report: object) -> None:
        times.finished = time.perf_counter()
        times.report = report

    original_flush = type(view)._flush

    def timed_flush() -> None:
        start = time.perf_counter()
        original_flush(view)
        times.renders.append((start, time.perf_counter() - start, len(view.markdown())))

    view._flush = timed_flush  # flush_now calls it too
    view._flush_timer.timeout.disconnect()
    view._flush_timer.timeout.connect(timed_flush)
    connections = [(bridge.researchDelta, on_research), (bridge.reportDelta, on_report),
                   (bridge.reviewRequested, lambda _id, _r: setattr(times, "review", time.perf_counter())),
                   (bridge.finished, on_finished)]
    for signal, slot in connections:
        signal.connect(slot)
    window.runs.report_saved = True  # type: ignore[attr-defined]  # no "save the last report?" question
    automation = AutomatedRun(window, topic, auto_approve=True, save_to=None, quit_when_done=False,
                              timeout_s=600)
    times.started = time.perf_counter()
    QTimer.singleShot(0, automation.start)
    while automation.exit_code is None or not _view_done(view):
        await asyncio.sleep(0.02)
    times.shown = time.perf_counter()
    for signal, slot in connections:
        signal.disconnect(slot)
    view._flush_timer.timeout.disconnect()
    view._flush_timer.timeout.connect(view._flush)
    del view._flush  # the class's again: the next run's measurement holds no reference to this one
    automation.deleteLater()
    if automation.exit_code != 0:
        raise RuntimeError(f"the run failed ({automation.exit_code}): {window.messageBar.message()}")  # type: ignore[attr-defined]
    return times


def _view_done(view: object) -> bool:
    busy: Callable[[], bool] | None = getattr(view, "is_rendering", None)
    return busy is None or not busy()


def run_app(main: Callable[[], Awaitable[T]]) -> T:
    """`main()` on a qasync loop over a QApplication, as the app runs (start-up code aside)."""
    import asyncio

    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    loop = qasync.QEventLoop(app)
    asyncio.set_event_loop(loop)
    from hitl_desktop.ui.event_loop import install_asyncgen_hooks

    install_asyncgen_hooks(loop)
    with loop:
        return loop.run_until_complete(main())


async def open_window() -> object:
    """The main window, shown, with the heavy modules preloaded as the app does after showing it."""
    from hitl_desktop.ui import MainWindow
    from hitl_desktop.ui.app import _OPENED_DURING_A_RUN

    window = MainWindow()
    window.show()
    await window.bridge.preload(also=_OPENED_DURING_A_RUN)
    return window


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--serve", action="store_true", required=True)
    parser.add_argument("--research-chunks", type=int, default=5000)
    parser.add_argument("--report-chunks", type=int, default=20000)
    parser.add_argument("--table-rows", type=int, default=0)
    parser.add_argument("--runs", type=int, default=1)
    serve(parser.parse_args())

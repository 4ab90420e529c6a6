"""Start-up: time to a shown window, whether the window is interactive while the heavy modules
load, and the memory it takes, against a bare PySide6 window measured in the same run.

    python benchmarks/bench_startup.py [--runs 7] [--bundle "dist/HITL Desktop" | --build-bundle]

1. Time to window: each variant is started as a fresh process (offscreen Qt, its own empty HOME)
   and timed from spawn until it prints that its window received its first Expose event
   (`--print-startup-time` in the app; the same event filter in the baseline). Median of the
   runs, after one discarded warm-up run per variant. Target: the app within 1.5x the baseline.
2. The first 3 s: the app started normally (single-instance check, preload of the modules a run
   needs), with a 5 ms heartbeat QTimer from its first Expose; the longest gaps between ticks,
   when the preload finished, and the resident memory then. Baseline: the bare window with the
   same heartbeat. Targets: gaps <= 50 ms, <= 200 MB resident after the preload.
With --bundle (or --build-bundle) the frozen app is timed too (target: within 1.5x the source).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tools"))
sys.path.insert(0, str(REPO / "tests"))

from app_process import isolated_env  # noqa: E402

BASELINE = r"""
import sys
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QMainWindow
app = QApplication(sys.argv[:1])
window = QMainWindow()
window.resize(1120, 760)
class Watch(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            watched.removeEventFilter(self)
            print("startup-time-ms 0", flush=True)
            on_exposed(window)
        return False
def on_exposed(window):
    QTimer.singleShot(0, app.quit)
window.show()
window.windowHandle().installEventFilter(Watch(window))
app.exec()
"""

# Runs in the measured process, from its first Expose: a heartbeat for 3 s, then one JSON line.
_HEARTBEAT = r"""
import json, time
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

def _watch(window, preloaded):
    ticks = [time.perf_counter()]
    timer = QTimer(window, interval=5)
    timer.setTimerType(Qt.TimerType.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(time.perf_counter()))
    timer.start()

    def report():
        gaps = sorted(b - a for a, b in zip(ticks, ticks[1:]))
        with open("/proc/self/status") as status:
            rss = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
        print("heartbeat " + json.dumps({
            "max_ms": gaps[-1] * 1000, "p99_ms": gaps[int(len(gaps) * 0.99)] * 1000,
            "over_50ms": sum(g > 0.05 for g in gaps), "ticks": len(ticks),
            "preloaded_s": (preloaded[0] - ticks[0]) if preloaded else None,
            "rss_mb": rss / 1024}), flush=True)
        QApplication.instance().quit()
    QTimer.singleShot(3000, report)
"""

APP_WITH_HEARTBEAT = _HEARTBEAT + r"""
import sys
sys.argv = ["hitl-desktop"]
from PySide6.QtCore import QEvent, QObject
from hitl_desktop.ui import app as app_module
from hitl_desktop.ui.widgets.main_window import MainWindow

# Patched on the window, not on WorkflowBridge: importing the bridge here would load asyncio and
# the services before the first frame, which the app loads after it (while the heartbeat runs).
preloaded = []
_attach = MainWindow.attach_services
def attach_services(self, *args, **kwargs):
    _attach(self, *args, **kwargs)
    _preload = self.bridge.preload
    def preload(*args, **kwargs):
        future = _preload(*args, **kwargs)
        future.add_done_callback(lambda _f: preloaded.append(time.perf_counter()))
        return future
    self.bridge.preload = preload
MainWindow.attach_services = attach_services

class Watch(QObject):
    def eventFilter(self, watched, event):
        if event.type() == QEvent.Type.Expose and watched.isExposed():
            watched.removeEventFilter(self)
            _watch(self.window, preloaded)
        return False

_show = MainWindow.show
def show(self):
    _show(self)
    watcher = Watch(self)
    watcher.window = self
    self.windowHandle().installEventFilter(watcher)
MainWindow.show = show
sys.exit(app_module.main())
"""

BARE_WITH_HEARTBEAT = _HEARTBEAT + BASELINE.replace(
    "window.show()", "on_exposed = lambda window: _watch(window, [])\nwindow.show()")


def measured_env(home: Path, **extra: str) -> dict[str, str]:
    """As an installed app starts: with Python's bytecode caches (pip writes them at install
    time, the bundle carries them), whatever this shell says about writing them."""
    env = isolated_env(home, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPATH"] = str(REPO)  # the tree this benchmark is in, whatever is installed
    return env


def time_to_window(command: list[str]) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = measured_env(Path(home))
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.DEVNULL, text=True, cwd=home)
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("startup-time-ms"):
                elapsed = time.perf_counter() - started
                break
        else:
            raise RuntimeError(f"{command[0]} exited without showing its window")
        process.wait(timeout=60)
    return elapsed


def first_seconds(script: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as home:
        # A DashScope key, so the app starts as a set-up user's does (no first-use banner).
        env = measured_env(Path(home), DASHSCOPE_API_KEY="sk-benchmark-0123456789")
        result = subprocess.run([sys.executable, "-c", script], env=env, cwd=home, capture_output=True,
                                text=True, timeout=120, check=False)
    for line in result.stdout.splitlines():
        if line.startswith("heartbeat "):
            return json.loads(line.removeprefix("heartbeat "))
    raise RuntimeError(f"no heartbeat report:\n{result.stderr[-2000:]}")


def archive_size(folder: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "bundle.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            tar.add(folder, arcname=folder.name)
        return target.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="an already built bundle folder")
    parser.add_argument("--build-bundle", action="store_true", help="build the bundle and time it too")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        bundle = args.bundle
        if bundle is None and args.build_bundle:
            from bundle.build import build_bundle

            print("Building the bundle…", flush=True)
            bundle = build_bundle(Path(scratch) / "dist", Path(scratch) / "work")
        variants = {
            "bare PySide6 window": [sys.executable, "-c", BASELINE],
            "source (python -m hitl_desktop)": [sys.executable, "-m", "hitl_desktop", "--print-startup-time"],
        }
        if bundle is not None:
            from bundle.build import executable_in

            variants["frozen bundle"] = [str(executable_in(bundle)), "--print-startup-time"]
        times: dict[str, list[float]] = {name: [] for name in variants}
        for command in variants.values():
            time_to_window(command)  # warm-up, discarded
        for _ in range(args.runs):  # interleaved, so drift in machine load hits all variants alike
            for name, command in variants.items():
                times[name].append(time_to_window(command))

        medians = {name: statistics.median(values) for name, values in times.items()}
        base = medians["bare PySide6 window"]
        print(f"\nTime to a shown window, median of {args.runs} runs ({os.cpu_count()} CPUs):")
        for name, median in medians.items():
            spread = f"{min(times[name]) * 1000:.0f}–{max(times[name]) * 1000:.0f}"
            print(f"  {name:34s} {median * 1000:6.0f} ms  ({spread} ms)  {median / base:4.2f}× baseline")
        source = medians["source (python -m hitl_desktop)"]
        print(f"  source / bare: {source / base:.2f}× (target ≤ 1.5×: {'met' if source / base <= 1.5 else 'NOT met'})")
        if bundle is not None:
            ratio = medians["frozen bundle"] / source
            print(f"  frozen / source: {ratio:.2f}× (target ≤ 1.5×: {'met' if ratio <= 1.5 else 'NOT met'})")

        print("\nThe first 3 s after the first Expose (5 ms heartbeat), median of 3 runs:")
        for name, script in (("bare PySide6 window", BARE_WITH_HEARTBEAT), ("the app", APP_WITH_HEARTBEAT)):
            runs = [first_seconds(script) for _ in range(3)]
            pick = sorted(runs, key=lambda run: run["max_ms"])[1]
            preload = (f"preload done after {pick['preloaded_s']:.2f} s, " if pick["preloaded_s"] else "")
            print(f"  {name:22s} max gap {pick['max_ms']:6.1f} ms, p99 {pick['p99_ms']:5.1f} ms, "
                  f"{pick['over_50ms']} gaps > 50 ms; {preload}{pick['rss_mb']:.0f} MB resident")
        if bundle is not None:
            from bundle.build import folder_size

            size = folder_size(bundle)
            print(f"\nBundle {bundle}: {size / 1e6:.0f} MB on disk, "
                  f"{archive_size(bundle) / 1e6:.0f} MB as .tar.gz (target < 150 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Time to a shown window: bare PySide6 window (baseline) vs source install vs frozen bundle.

    python benchmarks/bench_startup.py [--bundle "dist/HITL Desktop"] [--runs 7]

Each variant is started as a fresh process (offscreen Qt, its own empty HOME) and timed from
spawn until it prints that its window received its first Expose event (`--print-startup-time`
in the app; the same event filter in the baseline). That is what a user waits for: process start,
imports, QApplication, building the window, the first frame. The median of the runs is reported,
after one discarded warm-up run per variant (cold disk cache is not what we compare).
Also prints the bundle's size on disk and as a .tar.gz. Without --bundle, the bundle is built
first with `tools/bundle/build.py` into a temporary folder.
"""

from __future__ import annotations

import argparse
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

from app_process import isolated_env

from bundle.build import build_bundle, executable_in, folder_size

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
            print("startup-time-ms 0", flush=True)
            QTimer.singleShot(0, app.quit)
        return False
window.show()
window.windowHandle().installEventFilter(Watch(window))
app.exec()
"""


def time_to_window(command: list[str]) -> float:
    with tempfile.TemporaryDirectory() as home:
        env = isolated_env(Path(home))
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


def archive_size(folder: Path) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        target = Path(scratch) / "bundle.tar.gz"
        with tarfile.open(target, "w:gz") as tar:
            tar.add(folder, arcname=folder.name)
        return target.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, help="an already built bundle folder")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        bundle = args.bundle
        if bundle is None:
            print("Building the bundle…", flush=True)
            bundle = build_bundle(Path(scratch) / "dist", Path(scratch) / "work")
        variants = {
            "bare PySide6 window": [sys.executable, "-c", BASELINE],
            "source (python -m hitl_desktop)": [sys.executable, "-m", "hitl_desktop", "--print-startup-time"],
            "frozen bundle": [str(executable_in(bundle)), "--print-startup-time"],
        }
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
        ratio = medians["frozen bundle"] / medians["source (python -m hitl_desktop)"]
        print(f"  frozen / source: {ratio:.2f}× (target ≤ 1.5×: {'met' if ratio <= 1.5 else 'NOT met'})")
        size = folder_size(bundle)
        print(f"\nBundle {bundle}: {size / 1e6:.0f} MB on disk, "
              f"{archive_size(bundle) / 1e6:.0f} MB as .tar.gz (target < 150 MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

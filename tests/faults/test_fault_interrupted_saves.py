"""Saves killed outright (SIGKILL, a power cut) mid-write.

Atomic saves keep the previous file whole, but a killed process cannot remove its hidden temp
file: 3 kills in 20 left one beside the target. The next save to that folder now removes such
leftovers (our own naming only, and only once a minute old).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hitl_desktop.core import export
from hitl_desktop.core.atomic_file import atomic_write_text

posix_only = pytest.mark.skipif(os.name != "posix", reason="SIGKILL is POSIX")

# A child that saves, and stops inside the write (after the temp file exists, before the rename)
# to be killed there: every kill is a kill mid-save.
_KILLED_SAVER = """
import os, sys, time
from pathlib import Path
from hitl_desktop.core import atomic_file

def stall(fd):
    print("in-write", flush=True)
    time.sleep(60)

atomic_file.os.fsync = stall
atomic_file.atomic_write_bytes(Path(sys.argv[1]), b"x" * 100_000)
"""


def _age(path: Path, seconds: float) -> None:
    then = time.time() - seconds
    os.utime(path, (then, then))


def _hidden_temps(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name.endswith(".tmp"))


@posix_only
def test_temp_files_left_by_killed_saves_are_removed_by_the_next_save(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("the previous report", encoding="utf-8")
    for _kill in range(3):
        child = subprocess.Popen([sys.executable, "-c", _KILLED_SAVER, str(target)],
                                 stdout=subprocess.PIPE, text=True)
        assert child.stdout is not None and child.stdout.readline().strip() == "in-write"
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    left = _hidden_temps(tmp_path)
    assert len(left) == 3  # what SIGKILL leaves: one hidden temp file per kill
    assert target.read_text(encoding="utf-8") == "the previous report"  # whole, as before

    for name in left:
        _age(tmp_path / name, 120)  # a minute is the threshold
    atomic_write_text(target, "the new report")
    assert _hidden_temps(tmp_path) == []
    assert target.read_text(encoding="utf-8") == "the new report"


def test_only_our_own_stale_temp_files_are_removed(tmp_path: Path) -> None:
    from export_samples import report

    ours_old = tmp_path / ".report.md.k2j4x_9q.tmp"
    ours_fresh = tmp_path / ".report.md.a1b2c3d4.tmp"  # a save still writing, perhaps
    not_ours = [tmp_path / ".report.md.TOOLONG123.tmp", tmp_path / "notes.tmp",
                tmp_path / ".hidden.tmp", tmp_path / ".report.md.ABCDEFGH.tmp", tmp_path / "report.md.tmp"]
    for path in (ours_old, ours_fresh, *not_ours):
        path.write_text("x", encoding="utf-8")
    for path in (ours_old, *not_ours):
        _age(path, 3600)
    export.save_report(tmp_path / "new-report.md", report())
    assert not ours_old.exists()
    assert ours_fresh.exists() and all(path.exists() for path in not_ours)

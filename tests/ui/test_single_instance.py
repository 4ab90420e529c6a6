"""SingleInstance: one primary per data folder, activation over a local socket, stale locks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hitl_desktop.ui.single_instance import SingleInstance


def test_second_guard_on_the_same_folder_activates_the_first(qtbot, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first, second = SingleInstance(tmp_path / "data"), SingleInstance(tmp_path / "data")
    try:
        assert first.acquire()
        assert not second.acquire()
        with qtbot.waitSignal(first.activationRequested, timeout=5000):
            assert second.notify_primary()
    finally:
        first.release()


def test_separate_data_folders_are_separate_instances(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    one, other = SingleInstance(tmp_path / "a"), SingleInstance(tmp_path / "b")
    try:
        assert one.server_name != other.server_name
        assert one.acquire() and other.acquire()
    finally:
        one.release()
        other.release()


def test_released_guard_lets_the_next_launch_be_primary(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = SingleInstance(tmp_path)
    assert first.acquire()
    first.release()
    again = SingleInstance(tmp_path)
    try:
        assert again.acquire()
    finally:
        again.release()


def test_lock_left_by_a_crashed_instance_is_taken_over(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    crash = ("import os, sys\nfrom PySide6.QtCore import QLockFile\n"
             "lock = QLockFile(sys.argv[1]); assert lock.tryLock(0)\nos._exit(0)  # no unlock\n")
    lock_file = tmp_path / "instance.lock"
    subprocess.run([sys.executable, "-c", crash, str(lock_file)], check=True, timeout=60)
    assert lock_file.exists()
    survivor = SingleInstance(tmp_path)
    try:
        assert survivor.acquire()
    finally:
        survivor.release()


def test_unreachable_primary_is_reported_not_waited_on_forever(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    lonely = SingleInstance(tmp_path)  # nobody listens on its name
    assert lonely.notify_primary() is False


def test_unwritable_data_folder_skips_the_guard(app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    assert SingleInstance(blocker / "data").acquire()  # runs unguarded rather than not at all

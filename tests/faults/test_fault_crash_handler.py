"""The crash handler: whatever raises, wherever, is logged (redacted), told in a non-modal
dialog, and the app keeps running. Native crashes go to a file in the log folder."""

from __future__ import annotations

import argparse
import gc
import logging
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import qasync
from PySide6.QtCore import QObject, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QPushButton

from hitl_desktop.core.redaction import register_secret
from hitl_desktop.ui import crash_handler
from hitl_desktop.ui.crash_handler import NATIVE_CRASH_LOG, CrashDialog

pytestmark = pytest.mark.qt_no_exception_capture  # the handler under test takes them instead

SECRET = "tok-crash-handler-77aa11"


@pytest.fixture
def crash(qtbot, qloop, tmp_path: Path, caplog: pytest.LogCaptureFixture):  # type: ignore[no-untyped-def]
    caplog.set_level(logging.INFO)
    handler = crash_handler.install(qloop, log_folder=tmp_path / "logs", native=False)
    yield handler
    crash_handler.uninstall()
    if handler.dialog is not None:
        handler.dialog.close()
        handler.dialog.deleteLater()


def _dialog(qtbot, handler, count: int = 1) -> CrashDialog:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: handler.dialog is not None and handler.dialog.isVisible()
                    and handler.count >= count, timeout=5_000)
    dialog = handler.dialog
    assert dialog.objectName() == "crashDialog" and not dialog.isModal()
    return dialog


def _logged(caplog: pytest.LogCaptureFixture) -> str:
    return "\n".join(r.getMessage() for r in caplog.records if r.levelno >= logging.CRITICAL)


def _button(qtbot, slot) -> QPushButton:  # type: ignore[no-untyped-def]
    button = QPushButton("Do it")
    qtbot.addWidget(button)
    button.clicked.connect(slot)
    return button


def test_an_exception_in_a_qt_slot_is_shown_and_the_app_keeps_running(qtbot, crash, caplog) -> None:  # type: ignore[no-untyped-def]
    done: list[int] = []

    def slot() -> None:
        if not done:
            done.append(1)
            raise ZeroDivisionError(f"failed with key {SECRET}")
        done.append(2)

    register_secret(SECRET)
    button = _button(qtbot, slot)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, crash)
    assert "Something went wrong" in dialog.sentence.text() and "still running" in dialog.sentence.text()
    details = dialog.details.toPlainText()
    assert "ZeroDivisionError" in details and "in slot" in details
    assert SECRET not in details and "[redacted]" in details
    assert "ZeroDivisionError" in _logged(caplog) and SECRET not in _logged(caplog)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # the same button works again: the app runs on
    assert done == [1, 2]


def test_an_exception_in_an_async_slot_is_shown(qtbot, crash) -> None:  # type: ignore[no-untyped-def]
    class Emitter(QObject):
        fired = Signal(str)

    @qasync.asyncSlot(str)
    async def slot(what: str) -> None:
        raise KeyError(what)

    emitter = Emitter()
    emitter.fired.connect(slot)
    emitter.fired.emit("missing-thing")
    assert "KeyError: 'missing-thing'" in _dialog(qtbot, crash).details.toPlainText()


def test_a_failed_task_nobody_awaited_is_shown(qtbot, qloop, crash) -> None:  # type: ignore[no-untyped-def]
    async def fails() -> None:
        raise ValueError("in a forgotten task")

    task = qloop.create_task(fails(), name="forgotten")
    qtbot.waitUntil(task.done, timeout=5_000)
    del task
    gc.collect()  # the loop reports an unretrieved exception when the task goes
    details = _dialog(qtbot, crash).details.toPlainText()
    assert "ValueError: in a forgotten task" in details and "task forgotten" in details


def test_spawned_tasks_are_held_until_done_and_their_failures_shown(qtbot, qloop, crash) -> None:  # type: ignore[no-untyped-def]
    async def fails() -> None:
        raise RuntimeError("spawned and failed")

    async def start() -> None:
        crash_handler.spawn(fails(), name="spawned")  # no reference kept by the caller

    qloop.create_task(start())
    details = _dialog(qtbot, crash).details.toPlainText()
    assert "RuntimeError: spawned and failed" in details and "task spawned" in details
    assert not crash._tasks


def test_an_exception_that_ends_a_worker_thread_is_shown(qtbot, crash) -> None:  # type: ignore[no-untyped-def]
    def work() -> None:
        raise OSError("the worker failed")

    thread = threading.Thread(target=work, name="worker-7")
    thread.start()
    thread.join()
    details = _dialog(qtbot, crash).details.toPlainText()
    assert "OSError: the worker failed" in details and "thread worker-7" in details


def test_repeated_errors_reuse_one_dialog_and_count(qtbot, crash) -> None:  # type: ignore[no-untyped-def]
    button = _button(qtbot, lambda: 1 / 0)
    for _ in range(3):
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, crash, count=3)
    assert "3 times" in dialog.sentence.text()
    assert len([w for w in QApplication.topLevelWidgets() if isinstance(w, CrashDialog) and w.isVisible()]) == 1


def test_copy_details_and_open_log_folder(qtbot, crash, monkeypatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", staticmethod(lambda url: opened.append(url) or True))
    qtbot.mouseClick(_button(qtbot, lambda: [][1]), Qt.MouseButton.LeftButton)
    dialog = _dialog(qtbot, crash)
    qtbot.mouseClick(dialog.copyButton, Qt.MouseButton.LeftButton)
    assert "IndexError" in QGuiApplication.clipboard().text()
    qtbot.mouseClick(dialog.openLogButton, Qt.MouseButton.LeftButton)
    assert [url.toLocalFile() for url in opened] == [str(tmp_path / "logs")]
    QGuiApplication.clipboard().clear()


def test_keyboard_interrupt_is_left_to_python(crash, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    seen: list[type] = []
    monkeypatch.setattr(sys, "__excepthook__", lambda kind, exc, tb: seen.append(kind))
    try:
        raise KeyboardInterrupt
    except KeyboardInterrupt:
        crash.excepthook(*sys.exc_info())
    assert seen == [KeyboardInterrupt] and crash.count == 0


def test_the_app_installs_it_at_start_and_survives_an_error(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    """Through the app's own start-up (ui/app.py): the hooks are in place, an error in a slot
    shows the dialog over the window, and the window goes on working."""
    from hitl_desktop.ui import app as app_module
    from hitl_desktop.ui.widgets.main_window import MainWindow

    args = argparse.Namespace(topic="still typed", auto_approve=False, save_report=None,
                              quit_when_done=False, print_startup_time=False)
    qapp = QApplication.instance()
    window = app_module._show_first_frame(args)  # as the app shows it, then attaches its services
    started = qloop.create_task(app_module._run_window(qapp, window, args))
    try:
        qtbot.waitUntil(lambda: window.attached, timeout=10_000)  # the crash handler comes first
        assert _window(MainWindow) is window
        assert isinstance(getattr(sys.excepthook, "__self__", None), crash_handler.CrashHandler)
        QTimer.singleShot(0, lambda: {}["no such key"])
        qtbot.waitUntil(lambda: _window(CrashDialog) is not None, timeout=5_000)
        assert _window(CrashDialog).parent() is window
        assert window.topicInput.toPlainText() == "still typed" and window.isVisible()
        window.close_without_asking()
        qapp.aboutToQuit.emit()
        qtbot.waitUntil(started.done, timeout=10_000)
        window.deleteLater()
    finally:
        crash_handler.uninstall()
        if not started.done():
            started.cancel()


def test_a_native_crash_is_written_to_the_log_folder(tmp_path: Path) -> None:
    script = (
        "import faulthandler, sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QCoreApplication\n"
        "app = QCoreApplication([])\n"
        "from hitl_desktop.ui import crash_handler\n"
        "crash_handler.install(log_folder=Path(sys.argv[1]))\n"
        "faulthandler._sigsegv()\n"
    )
    result = subprocess.run([sys.executable, "-c", script, str(tmp_path)], capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode != 0
    written = (tmp_path / NATIVE_CRASH_LOG).read_text(encoding="utf-8")
    assert "Fatal Python error: Segmentation fault" in written


def _window(kind):  # type: ignore[no-untyped-def]
    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)

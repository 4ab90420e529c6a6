"""Where every unexpected exception ends: logged (redacted), told in a sentence, and survived.

One handler takes what would otherwise print to a console nobody sees, or vanish:

- `sys.excepthook`: exceptions in Qt slots and virtual methods (PySide prints them through it),
  in qasync's `asyncSlot`s (qasync hands them to it), and anywhere else on the main thread;
- `threading.excepthook`: exceptions that end a worker thread;
- the asyncio loop's exception handler: a task that failed and that nobody awaited;
- `spawn`: fire-and-forget tasks, held by a strong reference until done (the loop keeps only
  weak ones, so an unreferenced task can vanish mid-flight) and their exceptions reported.

Each is logged with its traceback (redacted: the log file's filter does it again) and shown in
a non-modal dialog (`crashDialog`) with one plain sentence, "Copy details" and "Open Log
Folder". The app keeps running: the failing slot or task has ended, the event loop has not.
A KeyboardInterrupt or SystemExit is left to Python's own handling.

`faulthandler` writes a native crash (a segfault in Qt or a C extension), which no Python hook
can catch, to native-crash.log in the log folder.
"""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import sys
import threading
import traceback
from collections.abc import Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, TextIO

import shiboken6
from PySide6.QtCore import QObject, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hitl_desktop import APP_NAME
from hitl_desktop.core import paths
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.text_safety import clean_text

log = logging.getLogger(__name__)

NATIVE_CRASH_LOG = "native-crash.log"
_MAX_DETAILS_CHARS = 60_000  # the dialog keeps the latest tracebacks, not an endless history

_handler: CrashHandler | None = None
_unwatched: set[asyncio.Task[Any]] = set()  # spawn()ed before a handler was installed


class CrashDialog(QDialog):
    """Non-modal: the person may keep working (and save the report) with it open."""

    def __init__(self, log_folder: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("crashDialog")
        self.setWindowTitle(f"{APP_NAME}: something went wrong")
        self.setModal(False)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._log_folder = log_folder
        self.sentence = QLabel(self, objectName="crashSentence")
        self.sentence.setWordWrap(True)
        self.sentence.setTextFormat(Qt.TextFormat.PlainText)
        self.details = QPlainTextEdit(self, objectName="crashDetails")
        self.details.setReadOnly(True)
        self.details.setMinimumHeight(160)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.copyButton = QPushButton("&Copy details", self, objectName="copyDetailsButton")
        self.openLogButton = QPushButton("&Open Log Folder", self, objectName="openLogFolderButton")
        buttons.addButton(self.copyButton, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.openLogButton, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.hide)
        self.copyButton.clicked.connect(self.copy_details)
        self.openLogButton.clicked.connect(self.open_log_folder)
        layout = QVBoxLayout(self)
        layout.addWidget(self.sentence)
        layout.addWidget(self.details, 1)
        layout.addWidget(buttons)
        self.resize(620, 360)

    def report(self, count: int, details: str) -> None:
        again = "" if count == 1 else f" (this has happened {count} times)"
        self.sentence.setText(
            f"Something went wrong inside {APP_NAME}{again}. It is still running and your work "
            "is still here. If something looks wrong, save your report and restart the app. "
            "The details are in the log file; sending them helps fix this.")
        text = (self.details.toPlainText() + "\n" + details).strip()
        self.details.setPlainText(text[-_MAX_DETAILS_CHARS:])
        self.details.verticalScrollBar().setValue(self.details.verticalScrollBar().maximum())

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.details.toPlainText())

    def open_log_folder(self) -> None:
        paths.ensure_dir(self._log_folder)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(self._log_folder)))


class CrashHandler(QObject):
    """The hooks, the dialog and the tasks it holds. Make one with `install`."""

    # From any thread to the UI thread (a queued connection): what to show.
    _reported = Signal(str)

    def __init__(self, log_folder: Path) -> None:
        super().__init__()
        self.log_folder = log_folder
        self.count = 0
        self.dialog: CrashDialog | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous: tuple[Any, Any, Any] | None = None
        self._native_log: TextIO | None = None
        self._native_was_enabled = False
        self._handling = threading.local()
        self._reported.connect(self._show, Qt.ConnectionType.QueuedConnection)

    # ----- installing -----------------------------------------------------------------------

    def install(self, loop: asyncio.AbstractEventLoop | None = None, *, native: bool = True) -> None:
        previous_loop_handler = loop.get_exception_handler() if loop is not None else None
        self._previous = (sys.excepthook, threading.excepthook, previous_loop_handler)
        sys.excepthook = self.excepthook
        threading.excepthook = self.thread_excepthook
        if loop is not None:
            self._loop = loop
            loop.set_exception_handler(self.loop_exception_handler)
        if native:
            self._enable_native_crash_log()

    def uninstall(self) -> None:
        if self._previous is None:
            return
        sys.excepthook, threading.excepthook, loop_handler = self._previous
        if self._loop is not None and not self._loop.is_closed():
            self._loop.set_exception_handler(loop_handler)
        self._previous = None
        if self._native_log is not None:
            faulthandler.disable()
            if self._native_was_enabled and sys.stderr is not None:
                faulthandler.enable(sys.stderr, all_threads=True)  # as it was before
            self._native_log.close()
            self._native_log = None

    def _enable_native_crash_log(self) -> None:
        try:
            paths.ensure_dir(self.log_folder)
            # Kept open for the life of the process: faulthandler writes to its descriptor.
            self._native_was_enabled = faulthandler.is_enabled()
            self._native_log = open(self.log_folder / NATIVE_CRASH_LOG, "a", encoding="utf-8")  # noqa: SIM115
            faulthandler.enable(self._native_log, all_threads=True)
        except (OSError, RuntimeError, ValueError) as exc:
            log.warning("Native crashes will not be logged: %s", exc)

    # ----- the hooks ------------------------------------------------------------------------

    def excepthook(self, kind: type[BaseException], exc: BaseException,
                   tb: TracebackType | None) -> None:
        self.handle(kind, exc, tb, "the main thread")

    def thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_value is None:
            return
        name = args.thread.name if args.thread is not None else "a worker thread"
        self.handle(args.exc_type, args.exc_value, args.exc_traceback, f"thread {name}")

    def loop_exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if isinstance(exc, BaseException) and not isinstance(exc, asyncio.CancelledError):
            self.handle(type(exc), exc, exc.__traceback__, _describe(context))
        else:
            log.error("asyncio: %s", redact(clean_text(str(context.get("message", context)))))

    def spawn(self, coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
        """Run `coro` as a task nobody needs to await: held until done, its failure reported."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if exc is not None:
            self.handle(type(exc), exc, exc.__traceback__, f"task {task.get_name()}")

    # ----- handling -------------------------------------------------------------------------

    def handle(self, kind: type[BaseException], exc: BaseException, tb: TracebackType | None,
               where: str) -> None:
        """Log it, and show it; never raise (a failing hook would lose the original error)."""
        if issubclass(kind, (KeyboardInterrupt, SystemExit)):
            sys.__excepthook__(kind, exc, tb)
            return
        if getattr(self._handling, "active", False):  # the handler itself failed: be plain
            sys.__excepthook__(kind, exc, tb)
            return
        self._handling.active = True
        try:
            details = redact(clean_text("".join(traceback.format_exception(kind, exc, tb))))
            log.critical("Unexpected error in %s:\n%s", where, details)
            self._reported.emit(f"In {where}:\n{details}")
        except Exception:  # noqa: BLE001 - last resort: Python's own printing
            sys.__excepthook__(kind, exc, tb)
        finally:
            self._handling.active = False

    def _show(self, details: str) -> None:
        self.count += 1
        if QApplication.instance() is None:
            return
        if self.dialog is None or not shiboken6.isValid(self.dialog):
            self.dialog = CrashDialog(self.log_folder, _main_window())
        self.dialog.report(self.count, details)
        if not self.dialog.isVisible():
            self.dialog.show()
        self.dialog.raise_()


def _main_window() -> QWidget | None:
    """The dialog's parent: it closes with the window, and never keeps a quitting app alive."""
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMainWindow) and w.isVisible()]
    return windows[0] if windows else QApplication.activeWindow()


def _describe(context: dict[str, Any]) -> str:
    task = context.get("task") or context.get("future")
    if isinstance(task, asyncio.Task):
        return f"task {task.get_name()}"
    return str(context.get("message") or "an asyncio callback")


def install(loop: asyncio.AbstractEventLoop | None = None, *, log_folder: Path | None = None,
            native: bool = True) -> CrashHandler:
    """Install the one crash handler for this process (again: the same one, re-hooked)."""
    global _handler
    if _handler is not None:
        _handler.uninstall()
    _handler = CrashHandler(log_folder or paths.log_dir())
    _handler.install(loop, native=native)
    return _handler


def uninstall() -> None:
    global _handler
    if _handler is not None:
        _handler.uninstall()
        _handler = None


def spawn(coro: Coroutine[Any, Any, Any], *, name: str | None = None) -> asyncio.Task[Any]:
    """A fire-and-forget task, held and watched by the crash handler (a plain task without it)."""
    if _handler is not None:
        return _handler.spawn(coro, name=name)
    task = asyncio.get_running_loop().create_task(coro, name=name)
    _unwatched.add(task)
    task.add_done_callback(_log_unwatched)
    return task


def _log_unwatched(task: asyncio.Task[Any]) -> None:
    _unwatched.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("Task %s failed", task.get_name(), exc_info=task.exception())

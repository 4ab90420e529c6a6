"""ReportFileWriter: writes the report's files on a worker thread, under the run's rules.

A long export must not freeze the window, so each write runs on a QThread (ui.threads) and is
awaited on the qasync loop. The rules (core.run) allow one write at a time and make Quit wait
for it; this class reports its progress to the window through the hooks it is given.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication

from hitl_desktop.core import export
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.run import RunController
from hitl_desktop.ui.threads import run_on_worker_thread

log = logging.getLogger(__name__)

Written = Callable[[list[Path]], None]
Failed = Callable[[UserFacingError], None]


class ReportFileWriter(QObject):
    started = Signal(str)      # what is being written, e.g. "Saving report.pdf…"
    written = Signal(list)     # the paths, all complete
    failed = Signal(object)    # UserFacingError
    lost = Signal(str, str)    # what a written file could not keep: message, hint
    busyChanged = Signal(bool)

    def __init__(self, rules: RunController, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rules = rules
        self._task: asyncio.Task[None] | None = None  # a strong reference while it runs

    def write(self, description: str, write: Callable[[], list[Path]], *,
              then: Written | None = None, failed: Failed | None = None, provenance: bool = True) -> None:
        """Run `write` (it saves the current report's files and returns their paths) off the UI
        thread. Success is announced (`written`; `lost` for anything a format could not keep;
        then `then`), a failure too (`failed`, then `failed`); a write asked for while another
        runs fails at once as busy. `provenance` says whether the files include how the report
        was made, so only what they hold is checked for losses."""
        try:
            report = self._rules.begin_write()
        except UserFacingError as busy:
            self.failed.emit(busy)
            if failed is not None:
                failed(busy)
            return
        self.started.emit(description)
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        self.busyChanged.emit(True)

        def write_and_check() -> tuple[list[Path], list[tuple[str, str]]]:
            paths = write()
            return paths, (export.losses_in(paths, report, provenance=provenance)
                           if report is not None else [])

        self._task = asyncio.get_running_loop().create_task(self._write(write_and_check, then, failed),
                                                            name="write-report-files")

    async def _write(self, write: Callable[[], tuple[list[Path], list[tuple[str, str]]]],
                     then: Written | None, failed: Failed | None) -> None:
        error: UserFacingError | None = None
        paths: list[Path] = []
        losses: list[tuple[str, str]] = []
        try:
            paths, losses = await run_on_worker_thread(write, name="report-writer")
        except UserFacingError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 (a bug in an exporter must reach the user, not vanish)
            log.exception("Writing the report failed")
            error = UserFacingError(f"Saving failed unexpectedly ({type(exc).__name__}).",
                                    "The report is still here: try another format or folder.", ErrorKind.IO)
        finally:
            QApplication.restoreOverrideCursor()
            self._rules.end_write(saved=error is None)
            self._task = None
        self.busyChanged.emit(False)
        if error is not None:
            log.warning("Saving the report failed [%s]: %s %s", error.kind.value, error.message, error.hint)
            self.failed.emit(error)
            if failed is not None:
                failed(error)
        else:
            self.written.emit(paths)
            for message, hint in losses:
                log.warning("Saved with losses: %s %s", message, hint)
                self.lost.emit(message, hint)
            if then is not None:
                then(paths)

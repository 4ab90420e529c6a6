"""FileWriteNotes: what the window says while report files are written and after.

The status bar names the file being written; each file saved is noted in the progress list;
a failure is shown on the problem bar, or only in the status bar when it was a second write
asked for while one was going (Save and Export All are off then: nothing is lost); what a
written file could not keep (e.g. an image) goes on the problem bar.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QStatusBar

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.models import ProgressUpdate
from hitl_desktop.ui.report_files import ReportFileWriter
from hitl_desktop.ui.widgets.banner import ProblemBar
from hitl_desktop.ui.widgets.progress_list import ProgressList


class FileWriteNotes(QObject):
    def __init__(self, files: ReportFileWriter, is_writing: Callable[[], bool], status: QStatusBar,
                 progress: ProgressList, problems: ProblemBar, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._is_writing = is_writing
        self._status, self._progress, self._problems = status, progress, problems
        files.started.connect(status.showMessage)
        files.written.connect(self.saved)
        files.failed.connect(self.failed)
        files.lost.connect(lambda message, hint: problems.show_error(message, hint))

    def saved(self, paths: list[Path]) -> None:
        for path in paths:
            self._progress.add(ProgressUpdate(f"Saved the report to {path}"))
        self._status.showMessage(f"Saved {', '.join(path.name for path in paths)}", 8000)

    def failed(self, error: UserFacingError) -> None:
        if self._is_writing():  # asked while another write runs: Save and Export All are off
            self._status.showMessage(f"{error.message} {error.hint}", 5000)
        else:
            self._status.clearMessage()
            self._problems.show_error(error.message, error.hint)

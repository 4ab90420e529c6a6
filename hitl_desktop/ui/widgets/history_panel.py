"""HistoryPanel: past and present runs, newest first, searchable by topic.

Selecting a run chooses what the window shows: a run going, as it goes; a finished, stopped or
interrupted one as it was kept (its progress and its report, with no model call); one that waits
for a review or a retry is taken up again. An interrupted run can be resumed from its last pause
(Resume). Delete asks first.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QHBoxLayout, QLineEdit, QListWidget, QListWidgetItem, QMessageBox, QPushButton,
                               QVBoxLayout, QWidget)

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.store import RunStatus, RunStore, RunSummary, StoredRun

_STATUS_WORDS = {RunStatus.RUNNING: "running", RunStatus.WAITING_FOR_REVIEW: "waiting for review",
                 RunStatus.WAITING_FOR_RETRY: "failed — waiting for retry", RunStatus.DONE: "done",
                 RunStatus.STOPPED: "stopped", RunStatus.INTERRUPTED: "interrupted",
                 RunStatus.FAILED: "failed"}
_RUN_ID = Qt.ItemDataRole.UserRole
_STATUS = Qt.ItemDataRole.UserRole + 1
_SEARCH_DELAY_MS = 150


class HistoryPanel(QWidget):
    runChosen = Signal(object)      # StoredRun: the run the person selected
    resumeRequested = Signal(str)   # the id of an interrupted run: resume it from its last pause
    failed = Signal(object)         # UserFacingError

    def __init__(self, store: RunStore, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="historyPanel")
        self._store = store
        self.search = QLineEdit(self, objectName="historySearch", placeholderText="Search topics…",
                                clearButtonEnabled=True)
        self.list = QListWidget(self, objectName="historyList")
        self.list.setAccessibleName("Run history")
        self.list.setWordWrap(True)
        self.resumeButton = QPushButton("Res&ume", self, objectName="resumeRunButton",
                                        toolTip="Go on with the interrupted run from its last pause")
        self.deleteButton = QPushButton("&Delete…", self, objectName="deleteRunButton")
        self._search_timer = QTimer(self, singleShot=True, interval=_SEARCH_DELAY_MS)
        self._search_timer.timeout.connect(self.refresh)
        self.search.textChanged.connect(self._search_timer.start)
        self.list.itemActivated.connect(self._open)
        self.list.itemClicked.connect(self._open)
        self.list.currentItemChanged.connect(self._update_buttons)
        self.resumeButton.clicked.connect(self._resume)
        self.deleteButton.clicked.connect(self._ask_delete)
        row = QHBoxLayout()
        row.addWidget(self.search, 1)
        row.addWidget(self.resumeButton)
        row.addWidget(self.deleteButton)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)
        self.refresh()

    def refresh(self, *_signal_args: object) -> None:
        """The newest runs (those whose topic matches the search), each with its status."""
        self._refill(self._selected())

    def select(self, run_id: str) -> None:
        """Make `run_id` the selected row (the run the window shows), without choosing it again."""
        self._refill(run_id)

    def _refill(self, selected: str | None) -> None:
        self.list.clear()
        try:
            runs = self._store.list_runs(self.search.text().strip())
        except UserFacingError as error:
            self.failed.emit(error)
            runs = []
        for run in runs:
            item = QListWidgetItem(describe(run), self.list)
            item.setData(_RUN_ID, run.id)
            item.setData(_STATUS, run.status)
            item.setToolTip(run.topic)
            if run.id == selected:
                self.list.setCurrentItem(item)
        self._update_buttons()

    def _selected(self) -> str | None:
        item = self.list.currentItem()
        return item.data(_RUN_ID) if item is not None else None

    def _update_buttons(self, *_items: object) -> None:
        item = self.list.currentItem()
        self.deleteButton.setEnabled(item is not None)
        self.resumeButton.setEnabled(item is not None and item.data(_STATUS) == RunStatus.INTERRUPTED)

    def _resume(self) -> None:
        run_id = self._selected()
        if run_id is not None:
            self.resumeRequested.emit(run_id)

    def _open(self, item: QListWidgetItem) -> None:
        try:
            run: StoredRun = self._store.get(item.data(_RUN_ID))
        except UserFacingError as error:
            self.failed.emit(error)
            return
        self.runChosen.emit(run)

    def _ask_delete(self) -> None:
        run_id = self._selected()
        if run_id is None:
            return
        topic = self.list.currentItem().toolTip()
        box = QMessageBox(QMessageBox.Icon.Question, "Delete Run",
                          f"Delete the run “{topic[:80]}” from the history? Its notes, decisions and "
                          "report are removed; files you saved stay.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("deleteRunBox")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda answer: answer == QMessageBox.StandardButton.Yes and self._delete(run_id))
        box.finished.connect(box.deleteLater)
        box.open()

    def _delete(self, run_id: str) -> None:
        try:
            self._store.delete(run_id)
        except UserFacingError as error:
            self.failed.emit(error)
        self.refresh()


def describe(run: RunSummary) -> str:
    """A row: the topic, what the run is doing, and when it last changed."""
    topic = " ".join(run.topic.split())
    topic = topic if len(topic) <= 90 else topic[:89] + "…"
    return f"{topic}\n{_STATUS_WORDS.get(run.status, str(run.status))} · {run.updated_at.astimezone():%Y-%m-%d %H:%M}"

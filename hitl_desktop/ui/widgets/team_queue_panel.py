"""TeamQueuePanel: in team mode, every run on the team server — its topic and what it is doing
("waiting for review", "running", "done"…), newest first.

Opening a run follows it in the window: its progress so far and, for one waiting for review,
the review, which this reviewer may decide (someone else's run, say). The list is refreshed
every REFRESH_MS while team mode is on, when a run starts or ends, and with Refresh; between
listings the bridge keeps each entry current from the runs' event streams.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QPushButton, QVBoxLayout, QWidget

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.team.runs import QueuedRun, QueueStatus
from hitl_desktop.ui.bridge import WorkflowBridge

REFRESH_MS = 15_000
_RUN = Qt.ItemDataRole.UserRole


class TeamQueuePanel(QWidget):
    opened = Signal(str)        # the run id a run of the queue is followed under: show it
    openFailed = Signal(object)  # UserFacingError: it could not be followed

    def __init__(self, bridge: WorkflowBridge, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="teamQueuePanel")
        self._bridge = bridge
        self.list = QListWidget(self, objectName="teamQueueList")
        self.list.setAccessibleName("Team queue")
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)  # two-line rows: where one run ends and the next begins
        self.list.setSpacing(2)
        self.note = QLabel("Listing the team server's runs…", self, objectName="teamQueueNote", wordWrap=True)
        self.refreshButton = QPushButton("&Refresh", self, objectName="refreshTeamQueueButton")
        self.refreshButton.clicked.connect(bridge.refresh_team_queue)
        self.list.itemActivated.connect(self._open)
        self.list.itemClicked.connect(self._open)
        self._timer = QTimer(self, interval=REFRESH_MS)
        self._timer.timeout.connect(bridge.refresh_team_queue)
        bridge.teamQueueChanged.connect(self.show_runs)
        bridge.teamQueueFailed.connect(self.show_error)
        bridge.runningChanged.connect(lambda _running: self._refresh_if_active())
        row = QHBoxLayout()
        row.addWidget(self.note, 1)
        row.addWidget(self.refreshButton, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.addLayout(row)
        layout.addWidget(self.list, 1)

    def set_active(self, active: bool) -> None:
        """Team mode on (list now, and every REFRESH_MS) or off."""
        if active:
            self._timer.start()
            self._bridge.refresh_team_queue()
        else:
            self._timer.stop()
            self.list.clear()

    def _refresh_if_active(self) -> None:
        if self._timer.isActive():
            self._bridge.refresh_team_queue()

    def show_runs(self, runs: tuple[QueuedRun, ...]) -> None:
        selected = self._selected()
        self.list.clear()
        for run in runs:
            item = QListWidgetItem(describe(run), self.list)
            item.setData(_RUN, run)
            item.setToolTip(run.topic)
            if run.status is QueueStatus.WAITING_FOR_REVIEW:  # what a reviewer is looking for
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            if selected is not None and run.run_id == selected.run_id:
                self.list.setCurrentItem(item)
        waiting = sum(run.status is QueueStatus.WAITING_FOR_REVIEW for run in runs)
        self.note.setText(f"{len(runs)} run{'s' if len(runs) != 1 else ''} on the team server"
                          + (f", {waiting} waiting for review" if waiting else "")
                          + (". Open one to follow it." if runs else "."))

    def show_error(self, error: UserFacingError) -> None:
        self.note.setText(f"{error.message} {error.hint}".strip())

    def _selected(self) -> QueuedRun | None:
        item = self.list.currentItem()
        return item.data(_RUN) if item is not None else None

    def _open(self, item: QListWidgetItem) -> None:
        """Follow the run (perhaps someone else's) in the window, with what it waits on."""
        try:
            run_id = self._bridge.open_team_run(item.data(_RUN))
        except UserFacingError as error:
            self.openFailed.emit(error)
            return
        self.opened.emit(run_id)


def describe(run: QueuedRun) -> str:
    """A row: the topic, then what the run is doing and when it started."""
    topic = " ".join(run.topic.split()) or "(starting…)"
    topic = topic if len(topic) <= 90 else topic[:89] + "…"
    status = str(run.status)
    if run.status is QueueStatus.WAITING_FOR_REVIEW and run.round:
        status += f" (round {run.round})"
    started = run.started_at.astimezone()
    # Today's runs by the time alone: the row's second line then fits the narrow pane.
    when = f"{started:%H:%M}" if started.date() == datetime.now().astimezone().date() else f"{started:%Y-%m-%d %H:%M}"
    return f"{topic}\n{status} · started {when}"

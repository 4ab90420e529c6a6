"""ReviewBanner: the rounds waiting for a decision — one dialog per run — and the banner that
reopens them.

A round's dialog opens when it arrives, unless the reviewer is already in another run's dialog
(then the banner counts it). Closing a dialog without deciding leaves its run paused: the banner
says which runs wait ("2 reviews waiting") and its button (`reviewPendingButton`, Ctrl+R) opens
the dialog of the run shown, else the one that has waited longest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from hitl_desktop.ui.notifier import ReviewNotifier
from hitl_desktop.ui.widgets.banner import Banner

if TYPE_CHECKING:  # imported when a round first arrives: the first frame does not need them
    from hitl_desktop.core.models import ReviewRequest
    from hitl_desktop.ui.widgets.review_dialog import ReviewDialog

_TOPIC_CHARS = 60


class ReviewBanner(Banner):
    decided = Signal(str, object)       # run id, ReviewDecision from its dialog
    draftChanged = Signal(str, str, str)  # run id, the unsent answer (edited notes, feedback)
    dialogClosed = Signal()             # closed without a decision: the run stays paused

    def __init__(self, window: QWidget, shown_run: Callable[[], str | None]) -> None:
        """`shown_run()` names the run the window shows: the button opens its review first."""
        super().__init__("reviewBanner", "reviewBanner", parent=window)
        self._window = window
        self._shown_run = shown_run
        self.dialogs: dict[str, ReviewDialog] = {}  # by run id, oldest first
        self.button = self.add_button("Review Research…", "reviewPendingButton", lambda: self.open_dialog())
        self.button.setToolTip("Ctrl+R")
        # Told when a round is ready while the window is in the background.
        self.notifier = ReviewNotifier(window)
        self.notifier.openRequested.connect(lambda: self.open_dialog())

    @property
    def dialog(self) -> ReviewDialog | None:
        """The dialog the button opens: the shown run's, else the one that has waited longest."""
        shown = self._shown_run()
        if shown in self.dialogs:
            return self.dialogs[shown]
        return next(iter(self.dialogs.values()), None)

    def show_request(self, run_id: str, request: ReviewRequest) -> None:
        self.discard(run_id)
        from hitl_desktop.ui.widgets.review_dialog import ReviewDialog

        dialog = ReviewDialog(request, self._window)
        self.dialogs[run_id] = dialog
        self.notifier.review_ready(request.topic, request.round, waiting=len(self.dialogs))
        dialog.decided.connect(lambda decision: self.decided.emit(run_id, decision))
        dialog.draftChanged.connect(lambda notes, feedback: self.draftChanged.emit(run_id, notes, feedback))
        dialog.finished.connect(self._on_dialog_closed)
        if any(other.isVisible() for other in self.dialogs.values() if other is not dialog):
            self._say_what_waits()  # the reviewer is deciding another run: not over it
        else:
            self.open_dialog(run_id)

    def open_dialog(self, run_id: str | None = None) -> None:
        dialog = self.dialogs.get(run_id) if run_id is not None else self.dialog
        if dialog is None:
            return
        self.hide()
        dialog.open()
        dialog.raise_()
        dialog.activateWindow()

    def decision_taken(self, run_id: str) -> None:
        """Run `run_id` accepted its dialog's decision: that round is closed."""
        self._drop(run_id)

    def discard(self, run_id: str) -> None:
        """Run `run_id` moved on or ended: its round can no longer be decided."""
        dialog = self.dialogs.get(run_id)
        if dialog is not None:
            dialog.finished.disconnect(self._on_dialog_closed)
            dialog.close()
        self._drop(run_id)

    def _drop(self, run_id: str) -> None:
        dialog = self.dialogs.pop(run_id, None)
        if dialog is not None:
            dialog.deleteLater()
        if not self.dialogs:
            self.notifier.clear()
            self.hide()
        elif not any(other.isVisible() for other in self.dialogs.values()):
            self._say_what_waits()

    def _on_dialog_closed(self, _result: int) -> None:
        if not any(not d.decision_sent and not d.isVisible() for d in self.dialogs.values()):
            return
        self._say_what_waits()
        # Back in the window, the keyboard lands where the paused run goes on (Enter reopens).
        from PySide6.QtCore import Qt  # not before the first frame: see qt_enums

        self.button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.dialogClosed.emit()

    def _say_what_waits(self) -> None:
        waiting = [dialog.request for dialog in self.dialogs.values() if not dialog.decision_sent]
        if not waiting:
            return
        if len(waiting) == 1:
            request = waiting[0]
            self.show_message(f"Research round {request.round} of “{_short(request.topic)}” is "
                              "waiting for your review. The run stays paused until you decide.")
            return
        names = ", ".join(f"“{_short(r.topic)}” (round {r.round})" for r in waiting)
        self.show_message(f"{len(waiting)} reviews waiting: {names}. Each run stays paused until you decide.")


def _short(topic: str) -> str:
    text = " ".join(topic.split())
    return text if len(text) <= _TOPIC_CHARS else text[:_TOPIC_CHARS - 1].rstrip() + "…"

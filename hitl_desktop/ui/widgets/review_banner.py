"""ReviewBanner: the round waiting for a decision, its dialog, and the banner that reopens it.

The dialog opens when a round arrives. Closing it without deciding leaves the run paused: the
banner says so and its button (`reviewPendingButton`, Ctrl+R) opens the dialog again.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from hitl_desktop.core.models import ReviewRequest
from hitl_desktop.ui.notifier import ReviewNotifier
from hitl_desktop.ui.widgets.banner import Banner
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog


class ReviewBanner(Banner):
    decided = Signal(object)  # ReviewDecision, from the dialog
    draftChanged = Signal(str, str)  # the unsent answer, from the dialog
    dialogClosed = Signal()   # closed without a decision: the run stays paused

    def __init__(self, window: QWidget) -> None:
        super().__init__("reviewBanner", "reviewBanner", parent=window)
        self._window = window
        self.dialog: ReviewDialog | None = None
        self.button = self.add_button("Review Research…", "reviewPendingButton", self.open_dialog)
        self.button.setToolTip("Ctrl+R")
        # Told when a round is ready while the window is in the background.
        self.notifier = ReviewNotifier(window)
        self.notifier.openRequested.connect(self.open_dialog)

    def show_request(self, request: ReviewRequest) -> None:
        self.discard()
        self.notifier.review_ready(request.topic, request.round)
        self.dialog = ReviewDialog(request, self._window)
        self.dialog.decided.connect(self.decided)
        self.dialog.draftChanged.connect(self.draftChanged)
        self.dialog.finished.connect(self._on_dialog_closed)
        self.open_dialog()

    def open_dialog(self) -> None:
        if self.dialog is None:
            return
        self.hide()
        self.dialog.open()
        self.dialog.raise_()
        self.dialog.activateWindow()

    def decision_taken(self) -> None:
        """The run accepted the dialog's decision: the round is closed."""
        self.notifier.clear()
        self.hide()
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None

    def discard(self) -> None:
        """The run moved on or ended: the round can no longer be decided."""
        self.notifier.clear()
        self.hide()
        if self.dialog is not None:
            self.dialog.finished.disconnect(self._on_dialog_closed)
            self.dialog.close()
            self.dialog.deleteLater()
            self.dialog = None

    def _on_dialog_closed(self, _result: int) -> None:
        if self.dialog is None or self.dialog.decision_sent:
            return
        self.show_message(f"Research round {self.dialog.request.round} is waiting for your review. "
                          "The run stays paused until you decide.")
        # Back in the window, the keyboard lands where the paused run goes on (Enter reopens).
        self.button.setFocus(Qt.FocusReason.OtherFocusReason)
        self.dialogClosed.emit()

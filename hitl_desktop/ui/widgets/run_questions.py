"""RunQuestions: the run's questions (core.run.RunPrompts) as window-modal message boxes.

Each box is opened with open(), never exec(): the qasync loop keeps running while it is up, and
the answer comes back through the callback the rules gave.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMainWindow, QMessageBox

from hitl_desktop.core.run import SaveChoice

_STOP_TEXT = {
    "Stop Run": "Stop this run? The research rounds you reviewed end with it. Whatever of the report "
                "has been written is kept as a marked draft you can save.",
    "Stop and Quit": "Stop this run and quit? The research you have reviewed so far, and any report "
                     "being written, will be lost.",
}


class RunQuestions:
    def __init__(self, window: QMainWindow, save_report_as: Callable[[Callable[[], None]], None]) -> None:
        self._window = window
        self._save_report_as = save_report_as

    def confirm_stop(self, verb: str, answer: Callable[[bool], None]) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, verb, _STOP_TEXT[verb],
                          QMessageBox.StandardButton.NoButton, self._window)
        box.setObjectName("confirmStopBox")
        stop = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep Running", QMessageBox.ButtonRole.RejectRole)
        # Keep is the default: Esc (Stop) then Enter must not throw reviewed work away.
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        box.finished.connect(lambda _result: answer(box.clickedButton() is stop))
        box.finished.connect(box.deleteLater)
        box.open()

    def dismiss_stop_question(self) -> None:
        box = self._window.findChild(QMessageBox, "confirmStopBox")
        if box is not None:
            box.finished.disconnect()  # unanswered: the rules have moved on
            box.done(QMessageBox.StandardButton.Cancel)
            box.deleteLater()

    def ask_save_first(self, answer: Callable[[SaveChoice], None]) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved Report",
                          "The last report has not been saved. Save it first?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self._window)
        box.setObjectName("unsavedReportBox")
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Save:
                answer(SaveChoice.SAVE)
            elif button == QMessageBox.StandardButton.Discard:
                answer(SaveChoice.DISCARD)
            else:
                answer(SaveChoice.CANCEL)

        box.finished.connect(answered)
        box.finished.connect(box.deleteLater)
        box.open()

    def save_report_as(self, then: Callable[[], None]) -> None:
        self._save_report_as(then)

    def show_status(self, text: str) -> None:
        self._window.statusBar().showMessage(text)

    def close_window(self) -> None:
        # Asked from inside closeEvent, where Qt ignores a nested close(): on the next turn, and
        # not at all if the window is gone by then (its owner deleted it meanwhile).
        QTimer.singleShot(0, self._window, self._window.close)

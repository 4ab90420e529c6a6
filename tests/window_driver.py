"""Driving the real window the way a person does: type a topic, press Run, wait for a review."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog


def start_run(qtbot, window: MainWindow, topic: str = "the economics of tidal power in Europe") -> None:  # type: ignore[no-untyped-def]
    window.topicInput.setPlainText(topic)
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)


def wait_for_review(qtbot, window: MainWindow, round_number: int) -> ReviewDialog:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: open_review_dialog(window) is not None
                    and open_review_dialog(window).request.round == round_number, timeout=10_000)
    return open_review_dialog(window)


def open_review_dialog(window: MainWindow) -> ReviewDialog | None:
    """The review dialog on screen (with several runs waiting, each has one; one shows at a time)."""
    return next((dialog for dialog in window.findChildren(ReviewDialog, "reviewDialog") if dialog.isVisible()), None)


def history_rows(window: MainWindow) -> list[str]:
    return [window.history.list.item(i).text() for i in range(window.history.list.count())]


def progress_lines(window: MainWindow) -> list[str]:
    return [window.progressList.item(i).text() for i in range(window.progressList.count())]


def choose_in_history(window: MainWindow, run_id: str) -> None:
    """Click the History row of `run_id`, as a person selects a run."""
    for i in range(window.history.list.count()):
        item = window.history.list.item(i)
        if item.data(Qt.ItemDataRole.UserRole) == run_id:
            window.history.list.setCurrentItem(item)
            window.history.list.itemClicked.emit(item)
            return
    raise AssertionError(f"run {run_id} is not in the history")

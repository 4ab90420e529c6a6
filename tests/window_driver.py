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
    dialog = window.findChild(ReviewDialog, "reviewDialog")
    return dialog if dialog is not None and dialog.isVisible() else None

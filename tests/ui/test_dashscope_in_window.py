"""The DashScope path through the real window: the real SDK and integration, a local fake server."""

from __future__ import annotations

from fake_dashscope import TEST_KEY, Error, FakeDashScope, Stream
from PySide6.QtCore import Qt

from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog


def test_whole_loop_in_the_window_against_fake_dashscope(qtbot, qloop, fake_dashscope: FakeDashScope) -> None:  # type: ignore[no-untyped-def]
    fake_dashscope.replies = [
        Stream(["## Key findings\n\n", "1. La Rance makes 240 MW.\n"]),
        Stream(["# Tidal report\n\n", "## Summary\n\n", "Streaming ", "works."]),
    ]
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.topicInput.setPlainText("tidal power")
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.findChild(ReviewDialog, "reviewDialog") is not None, timeout=20_000)
    dialog = window.findChild(ReviewDialog, "reviewDialog")
    assert "La Rance makes 240 MW." in dialog.researchView.toPlainText()
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=20_000)
    assert "Streaming works." in window.reportView.toPlainText()
    assert window.report.model == "DashScope · qwen-plus"
    progress = [window.progressList.item(i).text() for i in range(window.progressList.count())]
    assert any("Run total:" in line and "tokens in" in line for line in progress)
    assert "La Rance makes 240 MW." in fake_dashscope.requests[1].prompt_text


def test_error_status_in_the_window_is_shown_and_app_stays_usable(qtbot, qloop, fake_dashscope: FakeDashScope) -> None:  # type: ignore[no-untyped-def]
    fake_dashscope.replies = [Error(401, "InvalidApiKey", "Invalid API-key provided.")]
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    window.topicInput.setPlainText("tidal power")
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=20_000)
    assert "refused the API key" in window.messageBar.message()
    assert TEST_KEY not in window.messageBar.message()
    with qtbot.waitSignal(window.bridge.cancelled, timeout=10_000):
        qtbot.mouseClick(window.stopButton, Qt.MouseButton.LeftButton)
    assert window.runButton.isEnabled()

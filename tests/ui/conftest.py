"""Fixtures for tests that drive the real window."""

from __future__ import annotations

import pytest
from scripted_model import ScriptedChatModel

from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.bridge import WorkflowBridge


@pytest.fixture
def window_with(qtbot, qloop):  # type: ignore[no-untyped-def]
    windows: list[MainWindow] = []

    def make(model: ScriptedChatModel) -> MainWindow:
        window = MainWindow(WorkflowBridge(model_source=lambda: model))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:  # a failed test can leave a run going: end it before the window goes
        window.bridge.stop()
        qtbot.waitUntil(lambda w=window: not w.bridge.is_running, timeout=5_000)

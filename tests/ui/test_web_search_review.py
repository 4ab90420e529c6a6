"""Web search in the window: Qwen on DashScope (the fake server) searches the web, the pages it
found are listed in the review's Sources tab beside the documents, a dropped page is gone the
next round, and the report's References link the pages it cites."""

from __future__ import annotations

from pathlib import Path

import pytest
from fake_dashscope import FakeDashScope, Stream
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTreeWidgetItem
from window_driver import start_run, wait_for_review

from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog
from hitl_desktop.ui.widgets.source_triage import DROP

WIKI = "https://en.wikipedia.org/wiki/Tidal_power"
MEYGEN = "https://www.saltire.example/meygen"
PAGES = [{"index": 1, "title": "Tidal power", "url": WIKI, "site_name": "Wikipedia", "icon": ""},
         {"index": 2, "title": "MeyGen array", "url": MEYGEN, "site_name": "Saltire", "icon": ""}]


@pytest.fixture
def searching_window(qtbot, qloop, fake_dashscope: FakeDashScope, tmp_path: Path,  # type: ignore[no-untyped-def]
                     monkeypatch: pytest.MonkeyPatch) -> MainWindow:
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "tidal costs.md").write_text("# Tidal stream\n\n## Costs\n\nTidal stream power costs fell by "
                                           "40% between 2015 and 2023.\n", encoding="utf-8")
    monkeypatch.setenv("HITL_DESKTOP_DOCUMENTS", str(folder))
    monkeypatch.setenv("HITL_DESKTOP_WEB_SEARCH", "1")
    window = MainWindow()  # the DashScope key and address are the fake server's
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.sourcesPanel.summary() is not None, timeout=20_000)
    yield window
    window.bridge.stop()
    qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=5_000)


def listed_sources(dialog: ReviewDialog) -> dict[str, QTreeWidgetItem]:
    tree = dialog.sourceTriage.tree
    return {tree.topLevelItem(i).toolTip(0): tree.topLevelItem(i) for i in range(tree.topLevelItemCount())}


def test_the_pages_found_are_listed_at_review_and_a_dropped_one_never_returns(  # type: ignore[no-untyped-def]
        qtbot, searching_window: MainWindow, fake_dashscope: FakeDashScope) -> None:
    window = searching_window
    fake_dashscope.replies = [
        Stream(["Costs fell [1]. ", "Tides are predictable [ref_1]. ", "MeyGen grew [ref_2]."],
               search_results=PAGES),
        Stream(["Costs fell [1]. ", "Tides are predictable [ref_1]. ", "MeyGen grew [ref_2]."],
               search_results=PAGES),
        Stream(["# Tidal power\n\n", "Tides are predictable [2]. Costs fell [1]."]),
    ]
    start_run(qtbot, window, "tidal stream power costs")
    first = wait_for_review(qtbot, window, 1)
    listed = listed_sources(first)
    assert {WIKI, MEYGEN} <= set(listed)
    assert listed[WIKI].text(1) == WIKI and listed[WIKI].text(0).startswith("Tidal power")
    assert first.researchView.toPlainText() == "Costs fell [1]. Tides are predictable [2]. MeyGen grew [3]."
    first.notesTabs.setCurrentWidget(first.sourceTriage)
    first.sourceTriage.tree.setCurrentItem(listed[MEYGEN].child(0))
    shown = first.sourceTriage.passageText.toPlainText()
    assert MEYGEN in shown and "quotes from it are not checked" in shown
    assert first.sourceTriage.openButton.isEnabled()

    first.sourceTriage.set_decision(MEYGEN, DROP)
    first.feedbackInput.setPlainText("More on tidal stream power costs")
    qtbot.mouseClick(first.rejectButton, Qt.MouseButton.LeftButton)

    second = wait_for_review(qtbot, window, 2)
    assert MEYGEN not in listed_sources(second) and WIKI in listed_sources(second)
    assert "MeyGen grew." in second.researchView.toPlainText()
    assert second.citationProblems.isVisible() and MEYGEN in second.citationProblems.text()
    qtbot.mouseClick(second.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    references = window.report.markdown.split("## References")[1]
    assert f"2. Tidal power, Wikipedia. <{WIKI}>" in references
    assert MEYGEN not in window.report.markdown

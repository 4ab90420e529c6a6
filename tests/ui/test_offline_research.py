"""The whole job with no key and no network: the offline engine on real documents, in the window.

No model is set up (no key, no server address), so runs use the offline engine; the documents
are a folder this test writes, added for the launch with HITL_DESKTOP_DOCUMENTS and indexed by
the real SourceLibrary.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from window_driver import start_run, wait_for_review

from hitl_desktop.core.citations import markers_in
from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.widgets.source_triage import DROP

DOCUMENTS = {
    "tidal costs.md": "# Tidal stream costs\n\n## Costs\n\nTidal stream power costs fell by 40% between 2015 "
                      "and 2023 as turbines grew larger. MeyGen in the Pentland Firth is the largest tidal "
                      "stream array in Europe, with 6 MW installed.\n\n## Outlook\n\nDevelopers expect tidal "
                      "stream costs to keep falling as arrays reach 100 MW.\n",
    "lagoons.md": "# Tidal lagoons\n\n## Swansea Bay\n\nThe Swansea Bay tidal lagoon was proposed in 2012 and never "
                  "built; its tidal power would have cost more than offshore wind.\n",
    "Brot und Bäckerei.md": "# Sourdough\n\nSourdough bread rises with wild yeast. Bakers feed the starter with "
                            "flour and water every day.\n",
}


@pytest.fixture
def offline_window(qtbot, qloop, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> MainWindow:  # type: ignore[no-untyped-def]
    folder = tmp_path / "my documents"
    folder.mkdir()
    for name, text in DOCUMENTS.items():
        (folder / name).write_text(text, encoding="utf-8")
    monkeypatch.setenv("HITL_DESKTOP_DOCUMENTS", str(folder))
    window = MainWindow()  # everything from the standard places: no key, so offline
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.sourcesPanel.summary() is not None, timeout=20_000)
    assert window.sourcesPanel.summary().documents == 3
    yield window
    window.bridge.stop()
    qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=5_000)


def test_with_no_key_the_offline_engine_researches_and_reports_with_references(qtbot, offline_window) -> None:  # type: ignore[no-untyped-def]
    window = offline_window
    qtbot.waitUntil(lambda: window.providerLabel.text() == "Offline · extractive", timeout=5_000)
    start_run(qtbot, window, "tidal stream power costs")
    dialog = wait_for_review(qtbot, window, 1)
    notes = dialog.researchView.toPlainText()
    assert "Offline, extractive research" in notes and "Tidal stream power costs fell by 40%" in notes
    assert dialog.request.citation_problems == () and not dialog.citationProblems.isVisible()
    sources = {Path(c.source).name for c in dialog.request.citations}
    assert "tidal costs.md" in sources and "Brot und Bäckerei.md" not in sources  # never the bakery
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    report = window.report.markdown
    body, references = report.split("## References")
    assert "Offline, extractive report" in body and window.report.model == "Offline · extractive"
    for number in markers_in(body):
        assert f"\n{number}. " in references
    assert "tidal costs.md`" in references and "Sourdough" not in report


def test_feedback_and_a_dropped_source_change_the_next_round_and_edits_reach_the_report(  # type: ignore[no-untyped-def]
        qtbot, offline_window) -> None:
    window = offline_window
    start_run(qtbot, window, "tidal stream power costs")
    first = wait_for_review(qtbot, window, 1)
    costs = next(c.source for c in first.request.citations if c.source.endswith("tidal costs.md"))
    first.sourceTriage.set_decision(costs, DROP)
    first.feedbackInput.setPlainText("What happened to the Swansea Bay lagoon?")
    qtbot.mouseClick(first.rejectButton, Qt.MouseButton.LeftButton)

    second = wait_for_review(qtbot, window, 2)
    assert {Path(c.source).name for c in second.request.citations} == {"lagoons.md"}
    notes = second.researchView.toPlainText()
    assert "Swansea Bay tidal lagoon was proposed in 2012" in notes and "MeyGen" not in notes
    second.notesTabs.setCurrentWidget(second.researchView)
    second.researchView.appendPlainText("\n- The reviewer adds: compare it with offshore wind [1]\n")
    qtbot.mouseClick(second.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    report = window.report.markdown
    assert "The reviewer adds: compare it with offshore wind [1]" in report
    assert "tidal costs.md" not in report and "lagoons.md" in report

"""Later rounds show what changed; the report carries how it was made; the notifier is wired."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from scripted_model import ScriptedChatModel
from window_driver import start_run, wait_for_review

ROUND_1 = "## Key findings\n\n1. Tidal costs are high."
ROUND_2 = "## Key findings\n\n1. Tidal costs are high.\n2. MeyGen is the largest array."


def test_a_later_round_shows_what_changed_and_the_report_says_how_it_was_made(qtbot, window_with,  # type: ignore[no-untyped-def]
                                                                              tmp_path: Path) -> None:
    window = window_with(ScriptedChatModel(ROUND_1, ROUND_2, "# Report\n\nDone."))
    start_run(qtbot, window, "tidal power")
    first = wait_for_review(qtbot, window, 1)
    assert not hasattr(first, "roundDiff")  # nothing to compare with yet
    first.feedbackInput.setPlainText("Name the largest array.")
    qtbot.mouseClick(first.rejectButton, Qt.MouseButton.LeftButton)

    second = wait_for_review(qtbot, window, 2)
    tabs = [second.notesTabs.tabText(i) for i in range(second.notesTabs.count())]
    assert "Changes" in tabs and second.request.previous_notes == ROUND_1
    assert "added" in second.roundDiff.summaryLabel.text()
    assert window.reviewBanner.notifier is not None
    qtbot.mouseClick(second.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)

    provenance = window.report.provenance
    assert [(r.round, r.approved, r.feedback) for r in provenance.rounds] == [
        (1, False, "Name the largest array."), (2, True, "")]
    saved = window.save_report(tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Name the largest array." in saved

"""Several runs at once in the real window: a new topic starts while another run waits for review;
each run has its own progress and review dialog; decisions reach the right run, once."""

from __future__ import annotations

from PySide6.QtCore import Qt
from scripted_model import ScriptedChatModel
from window_driver import choose_in_history, history_rows, progress_lines, start_run, wait_for_review

from hitl_desktop.core.models import ReviewDecision
from hitl_desktop.core.store import RunStatus
from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.bridge import WorkflowBridge

TIDES, BEES = "tidal power in Europe", "urban beekeeping in Paris"
TIDES_NOTES = "## Findings\n\n1. La Rance has run since 1966."
BEES_NOTES = "## Findings\n\n1. Paris has about 700 hives on roofs."


def two_runs_waiting(qtbot, window: MainWindow) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """Tides waits for review (its dialog put aside), then bees is started and waits too."""
    start_run(qtbot, window, TIDES)
    tides = window.shown_run
    wait_for_review(qtbot, window, 1).reject()  # closed undecided: the run stays paused
    assert window.runButton.isEnabled() is False  # the same topic cannot start twice…
    assert "change the topic" in window.runButton.toolTip()
    start_run(qtbot, window, BEES)  # …another can
    bees = window.shown_run
    assert bees != tides and window.bridge.run_ids == [tides, bees]
    qtbot.waitUntil(lambda: window.bridge.pending_review(bees) is not None, timeout=10_000)
    return tides, bees


def test_two_runs_wait_each_with_its_dialog_and_interleaved_decisions_reach_the_right_run(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(TIDES_NOTES, BEES_NOTES, "# Bees report", "# Tides report")
    window = window_with(model)
    tides, bees = two_runs_waiting(qtbot, window)
    bees_dialog = wait_for_review(qtbot, window, 1)
    assert bees_dialog.windowTitle() == f"Review Research — Round 1 — {BEES}"
    assert BEES_NOTES in bees_dialog.researchView.toPlainText()
    # The panes show the run just started: its progress only.
    assert any("Researching round 1" in line for line in progress_lines(window))
    assert window.progressList.count() == len(window.store.get(bees).progress)
    assert BEES in window.reportPane.label.text()  # the Report pane names the run it shows
    bees_dialog.reject()
    assert "2 reviews waiting" in window.reviewBanner.message()
    assert TIDES in window.reviewBanner.message() and BEES in window.reviewBanner.message()
    assert sum("waiting for review" in row for row in history_rows(window)) == 2

    choose_in_history(window, tides)  # the History chooses the run shown
    assert window.shown_run == tides and TIDES in window.reportPane.label.text()
    assert window.progressList.count() == len(window.store.get(tides).progress)
    qtbot.mouseClick(window.reviewPendingButton, Qt.MouseButton.LeftButton)  # opens the shown run's review
    tides_dialog = wait_for_review(qtbot, window, 1)
    assert TIDES in tides_dialog.windowTitle() and TIDES_NOTES in tides_dialog.researchView.toPlainText()
    tides_dialog.reject()

    # Bees decided first, then tides: each report is written from its own run's notes.
    choose_in_history(window, bees)
    window.open_review()
    qtbot.mouseClick(wait_for_review(qtbot, window, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.store.get(bees).summary.status is RunStatus.DONE, timeout=10_000)
    assert "700 hives" in model.prompt(2) and "La Rance" not in model.prompt(2)
    assert window.bridge.is_active(tides) and window.bridge.pending_review(tides) is not None
    assert "Bees report" in window.reportView.toPlainText()
    choose_in_history(window, tides)
    window.open_review()
    qtbot.mouseClick(wait_for_review(qtbot, window, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert "Tides report" in window.reportView.toPlainText()
    assert "La Rance" in model.prompt(3) and "700 hives" not in model.prompt(3)
    assert window.store.get(tides).report.markdown.startswith("# Tides report")
    assert window.store.get(bees).report.markdown.startswith("# Bees report")
    assert len(model.calls) == 4 and not window.reviewBanner.isVisible()


def test_a_second_decision_for_a_round_is_ignored(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(TIDES_NOTES, BEES_NOTES, "# Tides report", "# Bees report")
    window = window_with(model)
    tides, bees = two_runs_waiting(qtbot, window)
    approve = ReviewDecision(round=1, approved=True)
    assert window.bridge.submit_decision(tides, approve)
    assert not window.bridge.submit_decision(tides, approve)  # the round is answered already
    assert not window.bridge.submit_decision(tides, ReviewDecision(round=1, approved=False, feedback="No."))
    assert not window.bridge.submit_decision("no-such-run", approve)
    qtbot.waitUntil(lambda: window.store.get(tides).summary.status is RunStatus.DONE, timeout=10_000)
    assert [d.approved for d in window.store.get(tides).decisions] == [True]
    assert len(model.calls) == 3  # both researches and one report: nothing ran twice
    assert window.bridge.pending_review(bees) is not None  # the other run still waits, untouched
    assert window.store.get(bees).decisions == ()


def test_stop_acts_on_the_run_shown_only(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel(TIDES_NOTES, BEES_NOTES))
    tides, bees = two_runs_waiting(qtbot, window)
    choose_in_history(window, tides)
    window.stop_run(ask=False)
    qtbot.waitUntil(lambda: not window.bridge.is_active(tides), timeout=10_000)
    assert window.store.get(tides).summary.status is RunStatus.STOPPED
    assert window.bridge.is_active(bees) and window.bridge.pending_review(bees) is not None
    assert "2 reviews waiting" not in window.reviewBanner.message()


def test_quit_keeps_every_waiting_run_and_the_next_start_has_them_all_waiting(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(TIDES_NOTES, BEES_NOTES, "# Tides report", "# Bees report")
    first = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(first)
    first.show()
    tides, bees = two_runs_waiting(qtbot, first)
    messages: list[str] = []
    first.statusBar().messageChanged.connect(messages.append)
    first.close()
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=10_000)
    assert "Keeping 2 runs for next time: each waits where it was…" in messages

    second = MainWindow(WorkflowBridge(model_source=lambda: model))  # the next launch
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: set(second.bridge.run_ids) == {tides, bees}, timeout=10_000)
    qtbot.waitUntil(lambda: len(second.reviewBanner.dialogs) == 2, timeout=10_000)
    assert second.shown_run == bees  # the newest is shown
    wait_for_review(qtbot, second, 1).reject()
    assert "2 reviews waiting" in second.reviewBanner.message()
    second.bridge.stop()
    qtbot.waitUntil(lambda: not second.bridge.is_running, timeout=10_000)
    assert len(model.calls) == 2  # nothing re-ran

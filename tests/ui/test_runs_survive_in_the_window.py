"""A pending review outlives the window: closed, a new window on the same data resumes it."""

from __future__ import annotations

from PySide6.QtCore import Qt
from scripted_model import Gate, ScriptedChatModel, ScriptedReply
from window_driver import choose_in_history, history_rows, start_run, wait_for_review

from hitl_desktop.core.errors import ErrorKind, UserFacingError

from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.bridge import WorkflowBridge


def test_a_review_pending_at_quit_is_waiting_again_with_the_draft_and_nothing_re_runs(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel("## Key findings\n\n1. MeyGen is the largest array.", "# Report\n\nDone.")
    first = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(first)
    first.show()
    start_run(qtbot, first, "tidal power in Europe")
    dialog = wait_for_review(qtbot, first, 1)
    dialog.feedbackInput.setPlainText("Keep it short.")
    dialog.notesTabs.setCurrentWidget(dialog.researchView)
    dialog.researchView.appendPlainText("2. Added by the reviewer before quitting.")
    qtbot.wait(700)  # the draft is saved half a second after typing stops
    first.close()  # Ctrl+Q: the run is kept, nothing asked
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=10_000)

    second = MainWindow(WorkflowBridge(model_source=lambda: model))  # the next launch
    qtbot.addWidget(second)
    second.show()
    restored = wait_for_review(qtbot, second, 1)
    assert "Added by the reviewer before quitting." in restored.researchView.toPlainText()
    assert restored.feedbackInput.toPlainText() == "Keep it short."
    rows = [second.history.list.item(i).text() for i in range(second.history.list.count())]
    assert any("tidal power in Europe" in row and "waiting for review" in row for row in rows)
    qtbot.mouseClick(restored.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.report is not None, timeout=10_000)
    assert len(model.calls) == 2  # the research before quitting and the report after: no re-run
    assert "Added by the reviewer before quitting." in model.prompt(1) and "Keep it short." in model.prompt(1)
    qtbot.waitUntil(lambda: any("done" in second.history.list.item(i).text()
                                for i in range(second.history.list.count())), timeout=5_000)


def test_a_finished_run_is_shown_from_the_history_without_a_model_call(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel("Notes.", "# Kept report\n\nFrom the history.")
    window = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(window)
    window.show()
    start_run(qtbot, window, "history topic")
    qtbot.mouseClick(wait_for_review(qtbot, window, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None and not window.bridge.is_running, timeout=10_000)
    window.reportView.clear_report()
    window.history.search.setText("history")
    qtbot.waitUntil(lambda: window.history.list.count() == 1, timeout=5_000)
    item = window.history.list.item(0)
    assert "history topic" in item.text() and "done" in item.text()
    window.history.list.setCurrentItem(item)
    window.history.list.itemClicked.emit(item)
    assert "From the history." in window.reportView.toPlainText()
    assert len(model.calls) == 2


def test_a_run_interrupted_mid_report_is_resumed_from_the_history_at_its_last_pause(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(after_chunks=2)
    model = ScriptedChatModel("## Key findings\n\n1. MeyGen is the largest array.",
                              ScriptedReply(["# Report\n\n", "First part. ", "never"], gate=gate),
                              "# Report\n\nWritten again, whole.")
    first = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(first)
    first.show()
    start_run(qtbot, first, "tidal power in Europe")
    dialog = wait_for_review(qtbot, first, 1)
    dialog.feedbackInput.setPlainText("Keep it short.")
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: "First part." in first.reportView.toPlainText(), timeout=10_000)
    first.close()  # mid-report: the run is kept as interrupted
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=10_000)

    second = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: any("interrupted" in row for row in history_rows(second)), timeout=5_000)
    assert not second.bridge.is_running  # an interrupted run waits for the person to resume it
    run_id = second.history.list.item(0).data(Qt.ItemDataRole.UserRole)
    choose_in_history(second, run_id)
    assert "First part." in second.reportView.toPlainText()  # its partial output, kept
    assert second.history.resumeButton.isEnabled()
    qtbot.mouseClick(second.history.resumeButton, Qt.MouseButton.LeftButton)
    restored = wait_for_review(qtbot, second, 1)  # back at its last pause, the answer given then as the draft
    assert restored.feedbackInput.toPlainText() == "Keep it short."
    assert "MeyGen" in restored.researchView.toPlainText()
    assert any("waiting for review" in row for row in history_rows(second))
    qtbot.mouseClick(restored.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.report is not None, timeout=10_000)
    assert "Written again, whole." in second.reportView.toPlainText()
    assert len(model.calls) == 3  # one research; the report interrupted, then written again
    assert "MeyGen" in model.prompt(2) and "Keep it short." in model.prompt(2)
    assert not second.history.resumeButton.isEnabled()


def test_a_run_waiting_for_retry_at_quit_waits_again_and_retry_completes_it(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    boom = UserFacingError("DashScope refused the API key (HTTP 401).", "Check the key.", ErrorKind.AUTH)
    model = ScriptedChatModel(ScriptedReply([], error=boom), "## Notes\n\n1. Retried research.", "# Report\n\nAfter retry.")
    first = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(first)
    first.show()
    start_run(qtbot, first, "tidal power in Europe")
    qtbot.waitUntil(lambda: first.retryAction.isEnabled(), timeout=10_000)
    first.close()  # Ctrl+Q with the failure waiting: kept
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=10_000)

    second = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: second.retryAction.isEnabled(), timeout=10_000)
    assert any("tidal power in Europe" in row and "failed — waiting for retry" in row
               for row in history_rows(second))
    assert "refused the API key" in second.messageBar.message()
    retry = second.messageBar.action("Retry")
    assert retry is not None
    qtbot.mouseClick(retry, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(wait_for_review(qtbot, second, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: second.report is not None, timeout=10_000)
    assert "After retry." in second.reportView.toPlainText()
    assert len(model.calls) == 3  # the failed call, its retry, the report
    qtbot.waitUntil(lambda: any("done" in row for row in history_rows(second)), timeout=5_000)


def test_a_run_interrupted_before_its_first_pause_is_resumed_from_its_topic(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(after_chunks=1)
    model = ScriptedChatModel(ScriptedReply(["## Half ", "never"], gate=gate), "## Key findings\n\n1. Whole notes.")
    first = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(first)
    first.show()
    start_run(qtbot, first, "tidal power in Europe")
    qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
    first.close()  # mid-research, before any review: kept as interrupted
    qtbot.waitUntil(lambda: not first.isVisible(), timeout=10_000)

    second = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(second)
    second.show()
    qtbot.waitUntil(lambda: any("interrupted" in row for row in history_rows(second)), timeout=5_000)
    choose_in_history(second, second.history.list.item(0).data(Qt.ItemDataRole.UserRole))
    qtbot.mouseClick(second.history.resumeButton, Qt.MouseButton.LeftButton)
    dialog = wait_for_review(qtbot, second, 1)  # researched again, from the topic
    assert "Whole notes." in dialog.researchView.toPlainText()
    assert len(model.calls) == 2 and second.history.list.count() == 1  # the same run, not a new one
    dialog.reject()
    second.bridge.stop()
    qtbot.waitUntil(lambda: not second.bridge.is_running, timeout=10_000)

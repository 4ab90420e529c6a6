"""The whole loop through the real window: topic → research → review dialog → streamed report → file."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QPushButton
from scripted_model import Gate, ScriptedChatModel, ScriptedReply
from window_driver import open_review_dialog, start_run, wait_for_review

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.ui import MainWindow

RESEARCH_1 = "## Key findings\n\n1. Tidal costs about 200 EUR/MWh.\n\n## Open questions\n\n- Sites?"
RESEARCH_2 = "## Key findings\n\n1. MeyGen costs 180 EUR/MWh.\n2. La Rance: 240 MW since 1966."
REPORT = "# Tidal Power in Europe\n\n## Summary\n\nTidal power is costly but predictable.\n\n## Conclusion\n\nWatch MeyGen."


def test_approve_path_streams_report_and_saves_it(qtbot, window_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, REPORT)
    window = window_with(model)
    start_run(qtbot, window)

    dialog = wait_for_review(qtbot, window, 1)
    assert "200 EUR/MWh" in dialog.researchView.toPlainText()
    assert dialog.findChild(QPushButton, "rejectButton").isEnabled() is False  # needs feedback first
    qtbot.mouseClick(dialog.findChild(QPushButton, "approveButton"), Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert "Tidal power is costly but predictable." in window.reportView.toPlainText()
    assert window.saveReportAction.isEnabled()
    progress = [window.progressList.item(i).text() for i in range(window.progressList.count())]
    assert any("Researching round 1" in line for line in progress)
    assert any("Report finished" in line for line in progress)
    # The report prompt is written from the approved notes.
    assert "200 EUR/MWh" in model.prompt(1)

    saved = window.save_report(tmp_path / "tidal.md")
    text = saved.read_text(encoding="utf-8")
    assert text.startswith("---\n") and "research_rounds: 1" in text
    assert "# Tidal Power in Europe" in text


def test_reject_with_feedback_sends_feedback_and_previous_notes(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, RESEARCH_2, REPORT)
    window = window_with(model)
    start_run(qtbot, window)

    dialog = wait_for_review(qtbot, window, 1)
    feedback = "Too general; focus on costs per MWh and name the sites."
    qtbot.keyClicks(dialog.feedbackInput, feedback)
    assert dialog.rejectButton.isEnabled()
    qtbot.mouseClick(dialog.rejectButton, Qt.MouseButton.LeftButton)

    dialog2 = wait_for_review(qtbot, window, 2)
    assert "MeyGen" in dialog2.researchView.toPlainText()
    second_research_prompt = model.prompt(1)
    assert feedback in second_research_prompt
    assert "Tidal costs about 200 EUR/MWh." in second_research_prompt
    assert "round 2" in second_research_prompt
    qtbot.mouseClick(dialog2.approveButton, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert window.report.rounds == 2
    assert "MeyGen costs 180 EUR/MWh" in model.prompt(2)
    assert len(model.calls) == 3  # research ran exactly once per round, then the report


def test_edit_then_approve_writes_report_from_edited_notes(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, REPORT)
    window = window_with(model)
    start_run(qtbot, window)

    dialog = wait_for_review(qtbot, window, 1)
    dialog.researchView.setPlainText("  \n ")  # everything deleted: nothing to write a report from
    assert not dialog.approveButton.isEnabled() and "notes are empty" in dialog.approveButton.toolTip()
    dialog.researchView.setPlainText("EDITED: only the Swansea lagoon matters.")
    assert dialog.revertButton.isEnabled() and dialog.approveButton.isEnabled()
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    report_prompt = model.prompt(1)
    assert "EDITED: only the Swansea lagoon matters." in report_prompt
    assert "200 EUR/MWh" not in report_prompt


def test_typed_edits_keep_the_markdown_exactly_and_feedback_reaches_the_report(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    notes = "## Key findings\n\n- See [the register](http://example.org/r) and `<b>` tags."
    model = ScriptedChatModel(notes, REPORT)
    window = window_with(model)
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    assert "the register" in dialog.researchPreview.toPlainText()  # shown rendered first
    dialog.notesTabs.setCurrentWidget(dialog.researchView)
    dialog.researchView.moveCursor(QTextCursor.MoveOperation.End)
    for _ in range(2):
        qtbot.keyClick(dialog.researchView, Qt.Key.Key_Return)
    qtbot.keyClicks(dialog.researchView, "## Added by me")
    dialog.notesTabs.setCurrentWidget(dialog.researchPreview)
    assert "Added by me" in dialog.researchPreview.toPlainText()  # the preview follows the edit
    qtbot.keyClicks(dialog.feedbackInput, "Keep it under two pages.")
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)

    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert notes + "\n\n## Added by me" in model.prompt(1)  # byte for byte, nothing re-escaped
    assert "Keep it under two pages." in model.prompt(1)


def test_a_model_bug_pauses_the_run_instead_of_losing_it(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    class BrokenOnce(ScriptedChatModel):
        async def stream_chat(self, messages):  # type: ignore[no-untyped-def,override]
            if not self.calls:
                self.calls.append(list(messages))
                raise KeyError("message")
            async for piece in super().stream_chat(messages):
                yield piece

    model = BrokenOnce(RESEARCH_1, REPORT)
    window = window_with(model)
    start_run(qtbot, window)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=10_000)
    assert "failed unexpectedly (KeyError)" in window.messageBar.message()
    assert window.retryAction.isEnabled()
    window.retryAction.trigger()
    dialog = wait_for_review(qtbot, window, 1)
    assert not window.messageBar.isVisible() and not window.retryAction.isEnabled()
    dialog.reject()


def test_retry_stays_available_after_open_settings_and_dismiss(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    boom = UserFacingError("DashScope refused the API key (HTTP 401).", "Check the key.", ErrorKind.AUTH)
    window = window_with(ScriptedChatModel(ScriptedReply([], error=boom), RESEARCH_1))
    start_run(qtbot, window)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=10_000)
    # No key is set up here, so the setup banner above offers Open Settings…; the problem bar
    # does not offer it a second time.
    assert window.setupBanner.isVisible() and window.messageBar.action("Open Settings…") is None
    qtbot.mouseClick(window.setupBanner.settingsButton, Qt.MouseButton.LeftButton)
    settings = window.findChild(QDialog, "settingsDialog")
    assert settings is not None and settings.isVisible()
    settings.reject()
    assert window.messageBar.isVisible()  # the problem still stands, so does its Retry
    qtbot.mouseClick(window.messageBar.findChild(QPushButton, "messageDismiss"), Qt.MouseButton.LeftButton)
    assert window.retryAction.isEnabled()  # dismissed, but still one keypress away (F5)
    qtbot.keyClick(window, Qt.Key.Key_F5)
    wait_for_review(qtbot, window, 1).reject()


def test_double_click_approve_sends_one_decision(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, REPORT)
    window = window_with(model)
    decisions = []
    window.bridge.submit_decision = lambda run_id, d, submit=window.bridge.submit_decision: (
        decisions.append(d), submit(run_id, d))[1]
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    qtbot.mouseDClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    dialog.approveButton.click()
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert len(decisions) == 1
    assert len(model.calls) == 2


def test_closing_the_dialog_keeps_the_run_paused_and_it_can_be_reopened(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, REPORT)
    window = window_with(model)
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    qtbot.keyClicks(dialog.feedbackInput, "half-typed thought")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)

    qtbot.waitUntil(lambda: window.reviewPendingButton.isVisible(), timeout=5_000)
    assert window.focusWidget() is window.reviewPendingButton  # Enter or Space reopens it
    qtbot.wait(300)  # time passes; nothing may time out or move on
    assert window.bridge.is_running and window.report is None
    assert len(model.calls) == 1

    qtbot.mouseClick(window.reviewPendingButton, Qt.MouseButton.LeftButton)
    reopened = wait_for_review(qtbot, window, 1)
    assert reopened.feedbackInput.toPlainText() == "half-typed thought"  # nothing typed is lost
    assert not window.reviewPendingButton.isVisible()
    qtbot.mouseClick(reopened.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)


def test_stop_mid_research(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(after_chunks=2)
    model = ScriptedChatModel(ScriptedReply(["a ", "b ", "c ", "d"], gate=gate))
    window = window_with(model)
    start_run(qtbot, window)
    qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
    assert window.stopButton.isEnabled()
    with qtbot.waitSignal(window.bridge.cancelled, timeout=10_000):
        qtbot.keyClick(window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=5_000)
    assert window.runButton.isEnabled() and not window.stopButton.isEnabled()
    assert open_review_dialog(window) is None
    progress = [window.progressList.item(i).text() for i in range(window.progressList.count())]
    assert progress[-1].endswith("Run stopped")


def test_stop_mid_report_keeps_the_partial_text(qtbot, window_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(after_chunks=3)
    model = ScriptedChatModel(RESEARCH_1, ScriptedReply(["# Title\n\n", "First para.\n\n", "Second ", "more"],
                                                        gate=gate))
    window = window_with(model)
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
    # Stopped once the reader sees the first paragraph (it may take a few turns of the loop).
    qtbot.waitUntil(lambda: "First para." in window.reportView.toPlainText(), timeout=10_000)
    qtbot.mouseClick(window.stopButton, Qt.MouseButton.LeftButton)
    confirm = window.findChild(QMessageBox, "confirmStopBox")  # reviewed research would be lost
    assert confirm is not None and window.bridge.is_running
    assert confirm.defaultButton().text() == "Keep Running"  # Esc, then Enter, must not stop
    stop = next(b for b in confirm.buttons() if b.text() == "Stop Run")
    with qtbot.waitSignal(window.bridge.cancelled, timeout=10_000):
        qtbot.mouseClick(stop, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "First para." in window.reportView.toPlainText(), timeout=5_000)
    assert window.runButton.isEnabled()
    # What was written is kept as a draft, clearly marked, and can be saved like any report.
    assert window.report is not None and window.saveReportAction.isEnabled()
    assert window.report.markdown.startswith("# Title\n\nFirst para.")
    assert "Draft: this report is unfinished" in window.reportView.toPlainText()
    saved = window.save_report(tmp_path / "draft.md").read_text(encoding="utf-8")
    assert "First para." in saved and "Draft: this report is unfinished" in saved


def test_stopping_or_closing_after_a_review_asks_first(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel(RESEARCH_1, REPORT))
    start_run(qtbot, window)
    wait_for_review(qtbot, window, 1).reject()  # decide later: hours of work may be waiting here
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_Escape)
    confirm = window.findChild(QMessageBox, "confirmStopBox")
    assert confirm is not None
    qtbot.keyClick(confirm, Qt.Key.Key_Escape)  # Esc on the question keeps the run
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "confirmStopBox") is None, timeout=5_000)
    assert window.bridge.is_running and window.reviewPendingButton.isVisible()

    # Quitting asks nothing about the run: it is kept in the history, waiting for this review.
    window.close()
    assert window.findChild(QMessageBox, "confirmStopBox") is None
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.bridge.is_running
    from hitl_desktop.core.store import RunStatus, RunStore

    store = RunStore.open(heartbeat=False)
    assert [run.status for run in store.list_runs()] == [RunStatus.WAITING_FOR_REVIEW]
    store.close()


def test_enter_while_reading_never_approves_but_ctrl_enter_does(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, REPORT)
    window = window_with(model)
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.researchPreview.setFocus()
    qtbot.keyClick(dialog.researchPreview, Qt.Key.Key_Return)
    qtbot.wait(50)
    assert dialog.isVisible() and len(model.calls) == 1  # still reviewing: no report started
    qtbot.keyClick(dialog.researchPreview, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert len(model.calls) == 2


def approved_and_writing(qtbot, window_with) -> tuple[MainWindow, Gate]:  # type: ignore[no-untyped-def]
    """A window whose research is approved and whose report is held mid-stream by the gate."""
    gate = Gate(after_chunks=2)
    window = window_with(ScriptedChatModel(RESEARCH_1, ScriptedReply(["# T\n\n", "Body ", "end."], gate=gate)))
    start_run(qtbot, window)
    qtbot.mouseClick(wait_for_review(qtbot, window, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
    qtbot.waitUntil(lambda: "Body" in window.reportView.toPlainText(), timeout=10_000)  # shown
    return window, gate


def test_the_stop_question_goes_when_the_run_finishes_meanwhile(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window, gate = approved_and_writing(qtbot, window_with)
    qtbot.mouseClick(window.stopButton, Qt.MouseButton.LeftButton)
    assert window.findChild(QMessageBox, "confirmStopBox") is not None
    gate.opened.set()  # the report finishes while the question is up
    qtbot.waitUntil(lambda: window.report is not None and not window.bridge.is_running, timeout=10_000)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "confirmStopBox") is None, timeout=5_000)
    assert window.report.markdown.endswith("end.")  # finished, not stopped


def test_quitting_while_the_report_is_written_keeps_the_run_as_interrupted(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window, gate = approved_and_writing(qtbot, window_with)
    window.close()  # nothing to ask: the run is kept, with what it has written so far
    assert window.findChild(QMessageBox, "confirmStopBox") is None
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    from hitl_desktop.core.store import RunStatus, RunStore

    store = RunStore.open(heartbeat=False)
    (summary,) = store.list_runs()
    run = store.get(summary.id)
    assert summary.status is RunStatus.INTERRUPTED and run.report.markdown.startswith("# T\n\nBody")
    store.close()


def test_failed_research_is_shown_and_retried_without_starting_over(qtbot, window_with, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-configured-but-refused")  # no setup banner
    boom = UserFacingError("DashScope refused the API key (HTTP 401).", "Check the API key in Settings.",
                           ErrorKind.AUTH)
    model = ScriptedChatModel(ScriptedReply([], error=boom), RESEARCH_1, REPORT)
    window = window_with(model)
    qtbot.waitUntil(lambda: window.setupBanner.isHidden(), timeout=5_000)
    start_run(qtbot, window)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=10_000)
    assert "refused the API key" in window.messageBar.message()
    assert "Check the API key" in window.messageBar.message()
    assert window.bridge.is_running and window.stopButton.isEnabled()  # paused, not thrown away
    assert "refused the API key" in window.messageBar.accessibleDescription()
    assert window.messageBar.action("Retry").hasFocus()  # Space or Enter retries at once
    # Tab walks the bar's buttons as they appear, Dismiss last.
    buttons = [*window.messageBar.actionButtons, window.messageBar.findChild(QPushButton, "messageDismiss")]
    assert [b.text().replace("&", "") for b in buttons] == ["Open Settings…", "Retry", "Dismiss"]
    assert [b.nextInFocusChain() for b in buttons[:-1]] == buttons[1:]

    qtbot.mouseClick(window.messageBar.action("Retry"), Qt.MouseButton.LeftButton)
    dialog = wait_for_review(qtbot, window, 1)
    assert not window.messageBar.isVisible()
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert window.report.rounds == 1
    assert len(model.calls) == 3  # failed research, retried research, report


def test_failed_report_is_retried_from_the_approved_notes(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    cut = UserFacingError("The connection broke off mid-reply.", "Retry.", ErrorKind.STREAM_CUT,
                          partial_output="# Tidal")
    model = ScriptedChatModel(RESEARCH_1, ScriptedReply(["# Tidal", " Po"], error=cut), REPORT)
    window = window_with(model)
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    dialog.researchView.setPlainText("EDITED notes to keep")
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=10_000)
    assert "# Tidal Po" in window.reportView.markdown()  # what streamed so far stays visible

    qtbot.mouseClick(window.messageBar.action("Retry"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert window.reportView.markdown() == REPORT
    assert "EDITED notes to keep" in model.prompt(2)  # the retry reuses the approved, edited notes
    assert len(model.calls) == 3


def test_stop_while_a_failure_waits_ends_the_run(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    boom = UserFacingError("Server error (HTTP 500).", "Retry in a moment.", ErrorKind.SERVER)
    window = window_with(ScriptedChatModel(ScriptedReply([], error=boom)))
    start_run(qtbot, window)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=10_000)
    with qtbot.waitSignal(window.bridge.cancelled, timeout=10_000):
        qtbot.mouseClick(window.stopButton, Qt.MouseButton.LeftButton)
    assert not window.bridge.is_running and window.runButton.isEnabled()
    assert not window.messageBar.isVisible()  # its Retry would have acted on a run that is gone
    assert not window.retryAction.isEnabled()


def test_a_key_pasted_into_the_topic_stays_out_of_the_dialog_report_and_file(  # type: ignore[no-untyped-def]
        qtbot, window_with, tmp_path: Path) -> None:
    from hitl_desktop.core.redaction import register_secret

    key = "sk-pasted-by-mistake-0123456789"
    register_secret(key)
    window = window_with(ScriptedChatModel(RESEARCH_1, REPORT))
    window.topicInput.setPlainText(f"tidal power {key}")
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
    dialog = wait_for_review(qtbot, window, 1)
    assert key not in dialog.request.topic and "[redacted]" in dialog.request.topic
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    saved = window.save_report(tmp_path / "r.md")
    assert key not in window.report.topic and key not in saved.read_text(encoding="utf-8")


def test_run_is_disabled_for_an_empty_topic_with_a_hint(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel())
    window.topicInput.setPlainText("   \n\t ")
    assert not window.runButton.isEnabled()
    assert "Type a topic" in window.topicHint.text()
    window.topicInput.setPlainText("\u200b\u200b\u2060")  # only invisible characters
    assert not window.runButton.isEnabled() and "Type a topic" in window.topicHint.text()
    window.topicInput.setPlainText("x" * 100_000)
    assert not window.runButton.isEnabled()
    assert "100,000 characters" in window.topicHint.text()
    assert "color" in window.topicHint.styleSheet()  # shown as a problem, not as the usual count
    window.topicInput.setPlainText("tides")
    assert window.runButton.isEnabled() and window.topicHint.styleSheet() == ""


def test_ctrl_enter_runs(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH_1, REPORT)
    window = window_with(model)
    window.topicInput.setPlainText("tides")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    window.topicInput.setFocus()
    qtbot.keyClick(window.topicInput, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_for_review(qtbot, window, 1)
    assert window.topicInput.toPlainText() == "tides"  # no newline was typed into the topic
    dialog.reject()


def test_unicode_topic_round_trips_into_prompts_and_file(qtbot, window_with, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    topic = "潮汐能 economics 🌊 — طاقة المد والجزر"
    model = ScriptedChatModel(RESEARCH_1, "# تقرير 🌊\n\n潮汐能 report body.")
    window = window_with(model)
    start_run(qtbot, window, topic)
    dialog = wait_for_review(qtbot, window, 1)
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    assert topic in model.prompt(0) and topic in model.prompt(1)
    text = window.save_report(tmp_path / "unicode.md").read_text(encoding="utf-8")
    assert topic in text and "潮汐能 report body." in text and "🌊" in text


def test_closing_the_window_mid_run_cancels_cleanly(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    gate = Gate(after_chunks=1)
    model = ScriptedChatModel(ScriptedReply(["a ", "b"], gate=gate))
    window = window_with(model)
    start_run(qtbot, window)
    qtbot.waitUntil(gate.reached.is_set, timeout=10_000)
    window.close()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)
    assert not window.bridge.is_running
    QApplication.processEvents()

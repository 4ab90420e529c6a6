"""Defects found trying the app as a new user would, each checked through the real window."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontInfo, QTextFormat
from PySide6.QtWidgets import QMessageBox
from scripted_model import ScriptedChatModel, ScriptedReply
from window_driver import start_run, wait_for_review

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ProgressUpdate

LONG_NOTES = ("## Key findings\n\n" + "\n".join(f"{n}. Finding {n}: tidal arrays, costs and sites." for n in range(1, 90))
              + "\n\n## Open questions\n\n- Grid connection?\n")
REPORT = "# Tidal Power\n\nSome words.\n\n```\nlcoe = capex * crf\ncrf = r / (1 - (1 + r) ** -n)\n```\n\nAfter the code.\n"


def test_the_review_dialog_opens_at_the_top_of_the_notes_every_round(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel(LONG_NOTES, LONG_NOTES, REPORT))
    start_run(qtbot, window)
    for round_number in (1, 2):
        dialog = wait_for_review(qtbot, window, round_number)
        qtbot.wait(50)
        preview = dialog.researchPreview
        assert preview.verticalScrollBar().maximum() > 0  # long enough to scroll at all
        assert preview.verticalScrollBar().value() == 0, f"round {round_number}"
        first_line = preview.cursorRect(preview.document().find("Key findings"))
        assert preview.viewport().rect().contains(first_line.center())
        if round_number == 1:
            dialog.feedbackInput.setPlainText("Name the sites.")
            qtbot.mouseClick(dialog.rejectButton, Qt.MouseButton.LeftButton)


def test_the_stop_question_says_the_report_so_far_is_kept_as_a_draft(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel(LONG_NOTES, REPORT))
    start_run(qtbot, window)
    wait_for_review(qtbot, window, 1).reject()  # decide later
    window.stop_run()
    box = window.findChild(QMessageBox, "confirmStopBox")
    assert "kept as a marked draft" in box.text() and "lost" not in box.text()
    box.done(QMessageBox.StandardButton.Cancel)
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "confirmStopBox") is None, timeout=2_000)
    window.close()  # quitting keeps the run for next time: nothing is lost, nothing asked
    assert window.findChild(QMessageBox, "confirmStopBox") is None


def test_the_newest_progress_line_stays_in_view_when_a_banner_shrinks_the_list(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel())
    for n in range(60):
        window.progressList.add(ProgressUpdate(f"step {n}"))
    qtbot.wait(20)
    window.messageBar.show_error("Something failed.", "A long hint that wraps over several lines. " * 6)
    qtbot.waitUntil(lambda: window.messageBar.isVisible(), timeout=2_000)
    qtbot.wait(50)
    newest = window.progressList.item(59)
    assert window.progressList.viewport().rect().contains(window.progressList.visualItemRect(newest))


def test_the_newest_progress_line_does_not_pull_a_reader_who_scrolled_up(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel())
    progress = window.progressList
    for n in range(60):
        progress.add(ProgressUpdate(f"step {n}"))
    progress.verticalScrollBar().setValue(0)  # reading the first steps
    progress.add(ProgressUpdate("step 60"))
    assert progress.verticalScrollBar().value() == 0


def test_a_long_status_message_ends_in_an_ellipsis_before_the_provider_label(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel())
    bar = window.statusBar()
    long = "Researching round 3… " + "a very long status sentence " * 20
    bar.showMessage(long)
    shown = bar.currentMessage()
    assert shown.endswith("…") and shown != long and bar.toolTip() == long
    room = bar.width() - window.providerLabel.width()
    assert bar.fontMetrics().horizontalAdvance(shown) < room
    bar.showMessage("Ready")
    assert bar.currentMessage() == "Ready" and bar.toolTip() == ""


def test_code_blocks_are_one_shaded_block_and_the_markdown_editor_is_fixed_width(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel(LONG_NOTES, REPORT))
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    assert QFontInfo(dialog.researchView.font()).fixedPitch()
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    block = window.reportView.document().begin()
    code = []
    while block.isValid():
        if block.blockFormat().hasProperty(QTextFormat.Property.BlockCodeFence) or block.charFormat().fontFixedPitch():
            code.append(block.blockFormat())
        block = block.next()
    assert len(code) == 2
    assert all(fmt.hasProperty(QTextFormat.Property.BackgroundBrush) for fmt in code)
    assert code[0].bottomMargin() == 0 and code[1].topMargin() == 0  # no gap after the first line


def test_every_failure_the_user_sees_is_in_the_log_with_its_kind(qtbot, window_with, caplog) -> None:  # type: ignore[no-untyped-def]
    boom = UserFacingError("The model server refused the key (HTTP 401).", "Check the key.", ErrorKind.AUTH)
    window = window_with(ScriptedChatModel(ScriptedReply([], error=boom)))
    with caplog.at_level(logging.INFO, logger="hitl_desktop"):
        start_run(qtbot, window)
        qtbot.waitUntil(window.messageBar.isVisible, timeout=10_000)
        window.stop_run(ask=False)
        qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=5_000)
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("hitl_desktop")]
    assert any("[auth]" in line and "refused the key (HTTP 401)" in line for line in logged), logged
    assert any("stopped" in line for line in logged), logged


def test_a_failed_save_is_logged_too(qtbot, window_with, caplog, tmp_path) -> None:  # type: ignore[no-untyped-def]
    window = window_with(ScriptedChatModel(LONG_NOTES, REPORT))
    start_run(qtbot, window)
    qtbot.mouseClick(wait_for_review(qtbot, window, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None and not window.bridge.is_running, timeout=10_000)
    missing = tmp_path / "no-such-folder" / "report.md"
    with caplog.at_level(logging.WARNING, logger="hitl_desktop"):
        from hitl_desktop.core import export

        window.write_report_files("Saving…", lambda: [export.save_report(missing, window.report)])
        qtbot.waitUntil(lambda: not window.is_writing_files, timeout=10_000)
    assert any("[io]" in r.getMessage() and "does not exist" in r.getMessage() for r in caplog.records)


def test_a_pdf_that_cannot_draw_some_characters_says_so_when_saved(qtbot, window_with, tmp_path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch) -> None:
    """Which fonts a machine has is not up to the test: here no font draws anything but Latin."""
    from hitl_desktop.core import export
    from hitl_desktop.ui import pdf_export

    class LatinOnlyFont:
        def supportsCharacter(self, code: int) -> bool:  # noqa: N802 (QRawFont's name)
            return code < 0x250

    monkeypatch.setattr(pdf_export, "_installed_fonts", lambda: (LatinOnlyFont(),))
    window = window_with(ScriptedChatModel(LONG_NOTES, "# 보고서\n\n한국어 텍스트와 English words.\n"))
    start_run(qtbot, window)
    qtbot.mouseClick(wait_for_review(qtbot, window, 1).approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None and not window.bridge.is_running, timeout=10_000)
    report = window.report
    window.write_report_files("Saving…", lambda: [export.save_report(tmp_path / "r.pdf", report),
                                                  export.save_report(tmp_path / "r.md", report)])
    qtbot.waitUntil(lambda: not window.is_writing_files, timeout=20_000)
    assert (tmp_path / "r.pdf").is_file() and "한국어" in (tmp_path / "r.md").read_text(encoding="utf-8")
    message = window.messageBar.message()
    assert "r.pdf: 10 characters in Korean could not be drawn." in message  # 보고서 한국어 텍스트와
    assert "Noto Sans CJK" in message and "r.md" not in message


def test_all_of_the_apps_config_is_in_one_folder(qtbot, window_with, isolated_home) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.core import paths
    from hitl_desktop.core.settings import ProviderSettings, save_settings

    window = window_with(ScriptedChatModel())
    save_settings(ProviderSettings())
    window.close_without_asking()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=5_000)
    config_root = isolated_home / ".config"
    assert sorted(p.name for p in config_root.iterdir()) == [paths.config_dir().name]
    assert {"settings.json", "window.ini"} <= {p.name for p in paths.config_dir().iterdir()}

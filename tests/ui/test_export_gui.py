"""The window's Save / Export All / Copy / Print actions on a report from a real (scripted) run."""

from __future__ import annotations

import io
import threading
import zipfile
from pathlib import Path

import pypdf
import pytest
from export_samples import ORDINARY_MARKDOWN, parse_html
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QKeySequence
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import QDialog, QFileDialog, QMessageBox
from scripted_model import ScriptedChatModel

from hitl_desktop.core import export
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog
from hitl_desktop.ui.window_state import window_state

RESEARCH = "## Key findings\n\n1. MeyGen costs 180 EUR/MWh."
TOPIC = "Tidal power: costs/sites?"


@pytest.fixture
def window(qtbot, qloop) -> MainWindow:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(RESEARCH, ORDINARY_MARKDOWN)
    win = MainWindow(WorkflowBridge(model_source=lambda: model))
    qtbot.addWidget(win)
    win.show()
    return win


def finish_run(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    window.topicInput.setPlainText(TOPIC)
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: (d := window.findChild(ReviewDialog, "reviewDialog")) is not None
                    and d.isVisible(), timeout=10_000)
    qtbot.mouseClick(window.findChild(ReviewDialog, "reviewDialog").approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=5_000)


def wait_for_files_written(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: not window.is_writing_files, timeout=20_000)


def report_actions(window: MainWindow) -> list:  # type: ignore[type-arg]
    actions = window.reportActions
    return [actions.exportAllAction, actions.copyMarkdownAction, actions.copyRichTextAction,
            actions.printAction]


def menu_texts(window: MainWindow, title: str) -> list[str]:
    menu = next(a.menu() for a in window.menuBar().actions() if a.text() == title)
    return [a.text() for a in menu.actions() if not a.isSeparator()]


def test_actions_live_in_the_menus_and_wait_for_a_finished_report(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    file_items, edit_items = menu_texts(window, "&File"), menu_texts(window, "&Edit")
    assert file_items[:4] == ["Add &Documents…", "&Save Report…", "Export &All Formats…", "&Print…"]
    assert edit_items[2:4] == ["Copy as &Markdown", "Copy as &Rich Text"]
    assert window.reportActions.printAction.shortcut() == QKeySequence(QKeySequence.StandardKey.Print)
    assert not any(action.isEnabled() for action in report_actions(window))
    finish_run(qtbot, window)
    assert all(action.isEnabled() for action in report_actions(window))


def test_edit_menu_copies_the_selection_of_the_report_or_the_progress_list(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    finish_run(qtbot, window)
    assert menu_texts(window, "&Edit")[:2] == ["&Copy", "Select &All"]
    window.reportView.setFocus()
    window.selectAllAction.trigger()
    window.copyAction.trigger()
    assert QGuiApplication.clipboard().text() == window.reportView.toPlainText()
    window.progressList.setFocus()
    window.selectAllAction.trigger()
    window.copyAction.trigger()
    lines = [window.progressList.item(row).text() for row in range(window.progressList.count())]
    assert QGuiApplication.clipboard().text().splitlines() == lines and len(lines) >= 4


def test_copy_as_markdown_and_as_rich_text(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    finish_run(qtbot, window)
    window.reportActions.copyMarkdownAction.trigger()
    assert QGuiApplication.clipboard().text() == window.report.markdown == ORDINARY_MARKDOWN.strip()
    window.reportActions.copyRichTextAction.trigger()
    data = QGuiApplication.clipboard().mimeData()
    assert data.hasHtml() and data.text() == window.report.markdown
    page = parse_html(data.html())
    assert "Tidal Power in Europe" in page.text("h1") and "Swansea Bay lagoon" in page.text("td")
    assert ("a", {"href": "https://www.emec.org.uk/", "rel": "noopener noreferrer nofollow"}) in page.tags


def test_save_dialog_offers_every_format_and_the_filter_picks_the_suffix(qtbot, window: MainWindow) -> None:  # type: ignore[no-untyped-def]
    finish_run(qtbot, window)
    window.saveReportAction.trigger()
    dialog = window.findChild(QFileDialog, "saveReportDialog")
    assert dialog is not None and dialog.isVisible()
    assert dialog.nameFilters() == export.name_filters()
    assert Path(dialog.selectedFiles()[0]).name == export.suggested_filename(
        TOPIC, window.report.created_at.astimezone())
    pdf_filter = next(f for f in dialog.nameFilters() if f.endswith("(*.pdf)"))
    dialog.selectNameFilter(pdf_filter)
    dialog.filterSelected.emit(pdf_filter)
    assert dialog.defaultSuffix() == "pdf"
    assert dialog.selectedFiles()[0].endswith(".pdf")
    dialog.reject()


def test_export_all_writes_every_format_and_asks_before_replacing(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    finish_run(qtbot, window)
    folder = tmp_path / "exports"
    folder.mkdir()
    window.reportActions.exportAllAction.trigger()
    dialog = window.findChild(QFileDialog, "exportAllDialog")
    assert dialog is not None and dialog.isVisible()
    dialog.fileSelected.emit(str(folder))
    dialog.reject()
    wait_for_files_written(qtbot, window)
    stem = export.suggested_stem(TOPIC, window.report.created_at.astimezone())
    written = sorted(p.name for p in folder.iterdir())
    assert written == sorted(f"{stem}{suffix}" for suffix in export.FORMATS)
    assert window_state().value("export/lastFolder") == str(folder)
    pdf_text = pypdf.PdfReader(folder / f"{stem}.pdf").pages[0].extract_text().replace("\t", " ")
    assert "Tidal Power in Europe" in pdf_text

    # A second export finds the files and asks; Cancel leaves them untouched.
    (folder / f"{stem}.md").write_text("kept", encoding="utf-8")
    window.reportActions.export_all_to(folder)
    box = window.findChild(QMessageBox, "replaceFilesBox")
    assert box is not None and box.isVisible() and f"{stem}.docx" in box.text()
    box.done(QMessageBox.StandardButton.Cancel)
    assert (folder / f"{stem}.md").read_text(encoding="utf-8") == "kept"
    window.reportActions.export_all_to(folder)
    qtbot.waitUntil(lambda: (b := window.findChild(QMessageBox, "replaceFilesBox")) is not None
                    and b.isVisible(), timeout=2_000)
    window.findChild(QMessageBox, "replaceFilesBox").done(QMessageBox.StandardButton.Yes)
    wait_for_files_written(qtbot, window)
    assert (folder / f"{stem}.md").read_text(encoding="utf-8").startswith("---\n")


def test_export_all_into_a_missing_folder_shows_a_clear_message(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    finish_run(qtbot, window)
    window.reportActions.export_all_to(tmp_path / "gone")
    wait_for_files_written(qtbot, window)
    assert window.messageBar.isVisible() and "does not exist" in window.messageBar.message()
    assert window.report is not None  # nothing lost


def test_print_opens_the_dialog_without_blocking_and_prints_the_report(qtbot, window: MainWindow, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    finish_run(qtbot, window)
    window.reportActions.printAction.trigger()
    dialog = window.findChild(QPrintDialog, "printDialog")
    assert dialog is not None and dialog.isVisible()  # open(), so the test (and the loop) went on
    printer: QPrinter = dialog.printer()
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
    target = tmp_path / "printed.pdf"
    printer.setOutputFileName(str(target))
    dialog.done(QDialog.DialogCode.Accepted)
    qtbot.waitUntil(target.exists, timeout=5_000)
    text = pypdf.PdfReader(io.BytesIO(target.read_bytes())).pages[0].extract_text().replace("\t", " ")
    assert "Tidal Power in Europe" in text and "Page 1 of" in text


def test_a_rich_text_copy_survives_quitting_without_crashing_the_process() -> None:
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent("""
        import os
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        from PySide6.QtCore import QMimeData, QTimer
        from PySide6.QtGui import QGuiApplication
        from PySide6.QtWidgets import QApplication
        from hitl_desktop.ui.widgets.report_actions import hand_clipboard_to_qt
        app = QApplication([])
        app.aboutToQuit.connect(hand_clipboard_to_qt)
        data = QMimeData()
        data.setHtml("<b>bold</b> report")
        data.setText("**bold** report")
        QGuiApplication.clipboard().setMimeData(data)
        del data
        QTimer.singleShot(0, app.quit)
        app.exec()
        kept = QGuiApplication.clipboard().mimeData()
        print(kept.text(), "|", "<b>bold</b>" in kept.html())
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr  # was a segfault at exit (139)
    assert result.stdout.strip() == "**bold** report | True"  # what the user copied is still there


def test_ctrl_s_saves_through_the_dialog_and_remembers_the_folder(qtbot, window: MainWindow, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QFileDialog

    finish_run(qtbot, window)
    window.saveReportAction.trigger()
    dialog = window.findChild(QFileDialog, "saveReportDialog")
    assert dialog is not None and dialog.isVisible()
    target = tmp_path / "chosen.md"
    dialog.selectFile(str(target))
    dialog.accept()  # emits fileSelected, as pressing Save does
    qtbot.waitUntil(target.exists, timeout=5_000)
    wait_for_files_written(qtbot, window)  # the file is in place a moment before the save ends
    assert "Tidal Power in Europe" in target.read_text(encoding="utf-8")
    assert window_state().value("export/lastFolder") == str(tmp_path)
    assert window.statusBar().currentMessage() == "Saved chosen.md"


class GatedWriter:
    """Stands in for export.save_report: records its thread and holds until released."""

    def __init__(self, real, fail_with: Exception | None = None) -> None:  # type: ignore[no-untyped-def]
        self._real = real
        self._fail_with = fail_with
        self.release = threading.Event()
        self.threads: list[threading.Thread] = []

    def __call__(self, path, report, **options):  # type: ignore[no-untyped-def]
        self.threads.append(threading.current_thread())
        assert self.release.wait(timeout=20)
        if self._fail_with is not None:
            raise self._fail_with
        return self._real(path, report, **options)


def save_through_dialog(window: MainWindow, target: Path) -> None:
    window.saveReportAction.trigger()
    dialog = window.findChild(QFileDialog, "saveReportDialog")
    dialog.selectFile(str(target))
    dialog.accept()


def start_held_save(qtbot, window: MainWindow, monkeypatch: pytest.MonkeyPatch, target: Path,  # type: ignore[no-untyped-def]
                    fail_with: Exception | None = None) -> GatedWriter:
    """Finish a run, then Save to `target` through the dialog; the write holds until released."""
    finish_run(qtbot, window)
    writer = GatedWriter(export.save_report, fail_with)
    monkeypatch.setattr(export, "save_report", writer)
    save_through_dialog(window, target)
    qtbot.waitUntil(lambda: len(writer.threads) == 1, timeout=5_000)
    return writer


def test_saving_runs_off_the_ui_thread_and_the_window_stays_usable(qtbot, window: MainWindow, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "slow.pdf"
    writer = start_held_save(qtbot, window, monkeypatch, target)
    assert writer.threads[0] is not threading.main_thread()
    assert window.is_writing_files and window.statusBar().currentMessage() == "Saving slow.pdf…"
    assert not window.saveReportAction.isEnabled() and not window.reportActions.exportAllAction.isEnabled()
    assert window.reportActions.copyMarkdownAction.isEnabled()  # the rest of the window works on
    window.topicInput.clear()
    qtbot.keyClicks(window.topicInput, "next topic")  # typed while the file is being written
    assert window.topicInput.toPlainText() == "next topic" and not target.exists()

    writer.release.set()
    qtbot.waitUntil(lambda: not window.is_writing_files, timeout=20_000)
    assert target.read_bytes().startswith(b"%PDF")
    assert window.statusBar().currentMessage() == "Saved slow.pdf"
    assert window.saveReportAction.isEnabled() and window.reportActions.exportAllAction.isEnabled()


def test_quitting_while_saving_finishes_the_file_then_closes(qtbot, window: MainWindow, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "last-minute.docx"
    writer = start_held_save(qtbot, window, monkeypatch, target)
    window.close()  # Ctrl+Q right after Save: no "unsaved report" question, no lost file
    qtbot.wait(50)
    assert window.isVisible() and window.findChild(QMessageBox, "unsavedReportBox") is None
    writer.release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert zipfile.is_zipfile(target)


def test_a_save_that_fails_while_quitting_keeps_the_window_and_asks(qtbot, window: MainWindow, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    writer = start_held_save(qtbot, window, monkeypatch, tmp_path / "doomed.html",
                             fail_with=RuntimeError("exporter bug"))
    window.close()
    writer.release.set()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "unsavedReportBox") is not None, timeout=20_000)
    assert window.isVisible() and window.report is not None  # nothing lost
    assert "Saving failed unexpectedly (RuntimeError)" in window.messageBar.message()
    window.findChild(QMessageBox, "unsavedReportBox").done(QMessageBox.StandardButton.Cancel)
    qtbot.wait(100)  # give a wrongly queued close the chance to happen
    assert window.isVisible()


def test_run_pressed_twice_while_saving_starts_one_run_after_the_save(qtbot, window: MainWindow,  # type: ignore[no-untyped-def]
                                                                      tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    writer = start_held_save(qtbot, window, monkeypatch, tmp_path / "first.md")
    window.run_research()
    window.run_research()
    qtbot.wait(50)
    assert not window.bridge.is_running  # waits for the save: the report is not saved yet
    writer.release.set()
    qtbot.waitUntil(lambda: window.bridge.is_running, timeout=10_000)
    qtbot.waitUntil(lambda: (d := window.findChild(ReviewDialog, "reviewDialog")) is not None
                    and d.isVisible(), timeout=10_000)
    assert not window.messageBar.isVisible()  # no "a run is already in progress"
    assert (tmp_path / "first.md").is_file()


def test_terminate_while_saving_finishes_the_file_and_asks_nothing_even_if_it_fails(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = start_held_save(qtbot, window, monkeypatch, tmp_path / "full-disk.md",
                             fail_with=OSError(28, "No space left on device"))
    window.close()  # the user quits: waits for the save
    window.close_without_asking()  # then the session ends (SIGTERM)
    writer.release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    qtbot.wait(100)
    assert window.findChild(QMessageBox, "unsavedReportBox") is None


def test_run_pressed_after_quit_during_a_save_does_not_keep_the_app_open(  # type: ignore[no-untyped-def]
        qtbot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = start_held_save(qtbot, window, monkeypatch, tmp_path / "then-quit.md")
    window.close()
    window.run_research()  # a stray Ctrl+Enter after Quit
    writer.release.set()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=20_000)
    assert not window.bridge.is_running and (tmp_path / "then-quit.md").is_file()

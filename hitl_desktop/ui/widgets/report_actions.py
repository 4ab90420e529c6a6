"""What a person does with a finished report: save it, export every format at once, copy it (as
Markdown or as rich text), print it. The actions are enabled only while a report exists.

One checkable action, always enabled, says whether saved and printed reports include how they
were made (the provenance front matter and appendix); the choice is remembered.

Dialogs open with open() and answer through signals: the qasync loop is never blocked.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QMimeData, QObject
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence
from PySide6.QtWidgets import QWidget

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.ui.window_state import include_provenance, set_include_provenance, window_state

if TYPE_CHECKING:  # Qt's print support is loaded when the user first prints, the exporter when used
    from hitl_desktop.core.models import Report
    from PySide6.QtPrintSupport import QPrinter
    from PySide6.QtWidgets import QFileDialog

LAST_FOLDER_KEY = "export/lastFolder"


class WriteFiles(Protocol):
    """The window's way to write report files off the UI thread (MainWindow.write_report_files)."""

    def __call__(self, description: str, write: Callable[[], list[Path]], *,
                 then: Callable[[list[Path]], None] | None = None) -> None: ...


class ReportActions(QObject):
    """Save, Export All, Copy as Markdown, Copy as Rich Text and Print, for the window's report."""

    def __init__(self, window: QWidget, report: Callable[[], Report | None],
                 write_files: WriteFiles, failed: Callable[[UserFacingError], None]) -> None:
        super().__init__(window)
        self._window = window
        self._report = report
        self._write_files = write_files
        self._failed = failed
        self._printer: QPrinter | None = None
        self._hand_over_connected = False
        self.saveReportAction = self._action("&Save Report…", "saveReportAction",
                                             QKeySequence(QKeySequence.StandardKey.Save),
                                             lambda: self.ask_save_path())  # not Qt's `checked`
        self.exportAllAction = self._action("Export &All Formats…", "exportAllAction",
                                            QKeySequence("Ctrl+Shift+E"), self.ask_export_folder)
        self.copyMarkdownAction = self._action("Copy as &Markdown", "copyMarkdownAction",
                                               QKeySequence("Ctrl+Shift+C"), self.copy_markdown)
        self.copyRichTextAction = self._action("Copy as &Rich Text", "copyRichTextAction",
                                               QKeySequence("Ctrl+Alt+C"), self.copy_rich_text)
        self.printAction = self._action("&Print…", "printAction",
                                        QKeySequence(QKeySequence.StandardKey.Print), self.ask_print)
        self.includeProvenanceAction = QAction("Include &How the Report Was Made", self._window,
                                               objectName="includeProvenanceAction", checkable=True)
        self.includeProvenanceAction.setChecked(include_provenance())
        self.includeProvenanceAction.setToolTip(
            "Saved and printed reports say how they were made: the research rounds, your decisions "
            "and feedback, the model and its settings, the documents cited and the app version.")
        self.includeProvenanceAction.toggled.connect(set_include_provenance)
        self.update_enabled()

    def _action(self, text: str, name: str, shortcut: QKeySequence, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self._window, objectName=name)
        # setShortcut's overloads would load the Qt namespace's enums (qt_enums); setShortcuts' do not.
        action.setShortcuts([shortcut])
        action.triggered.connect(slot)
        return action

    @property
    def file_actions(self) -> list[QAction]:
        return [self.saveReportAction, self.exportAllAction, self.printAction, self.includeProvenanceAction]

    @property
    def include_provenance(self) -> bool:
        """Whether saved and printed reports say how they were made (the `provenance` argument
        of every export call)."""
        return self.includeProvenanceAction.isChecked()

    @property
    def edit_actions(self) -> list[QAction]:
        return [self.copyMarkdownAction, self.copyRichTextAction]

    def update_enabled(self, *, writing: bool = False) -> None:
        """Enable the actions while there is a report; Save and Export All not while files are
        written."""
        has_report = self._report() is not None
        for action in (self.printAction, *self.edit_actions):
            action.setEnabled(has_report)
        self.saveReportAction.setEnabled(has_report and not writing)
        self.exportAllAction.setEnabled(has_report and not writing)

    # ----- save ------------------------------------------------------------------------------

    def ask_save_path(self, then: Callable[[], None] | None = None) -> None:
        """The Save dialog; the chosen name's suffix picks the format. `then()` once saved."""
        report = self._report()
        if report is None:
            return
        from PySide6.QtWidgets import QFileDialog  # the dialogs' classes and enums: not for the first frame

        from hitl_desktop.core import export  # with the first report: not needed for the first frame

        folder = window_state().value(LAST_FOLDER_KEY, str(Path.home()))
        name = export.suggested_filename(report.topic, report.created_at.astimezone())
        dialog = QFileDialog(self._window, "Save Report", str(Path(folder) / name))
        dialog.setObjectName("saveReportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(export.name_filters())
        dialog.setDefaultSuffix("md")
        # The suffix decides the format: picking a filter renames the file to match.
        dialog.filterSelected.connect(lambda name_filter: _match_suffix(dialog, name_filter))
        dialog.fileSelected.connect(lambda path: self._save_to(Path(path), report, then))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _save_to(self, path: Path, report: Report, then: Callable[[], None] | None) -> None:
        from hitl_desktop.core import export

        def saved(paths: list[Path]) -> None:
            window_state().setValue(LAST_FOLDER_KEY, str(paths[0].parent))
            if then is not None:
                then()

        provenance = self.include_provenance
        self._write_files(f"Saving {path.name}…",
                          lambda: [export.save_report(path, report, provenance=provenance)], then=saved)

    # ----- copy ------------------------------------------------------------------------------

    def copy_markdown(self) -> None:
        report = self._report()
        if report is not None:
            QGuiApplication.clipboard().setText(report.markdown)

    def copy_rich_text(self) -> None:
        """Rich text for word processors and mail, the Markdown as the plain-text alternative.
        The HTML is the sanitised export body: pasting it fetches nothing and runs nothing."""
        report = self._report()
        if report is None:
            return
        from hitl_desktop.core.export.html import body_html

        data = QMimeData()
        data.setHtml(f'<html><head><meta charset="utf-8"></head><body>{body_html(report.markdown)}'
                     "</body></html>")
        data.setText(report.markdown)
        QGuiApplication.clipboard().setMimeData(data)
        if not self._hand_over_connected:
            QGuiApplication.instance().aboutToQuit.connect(hand_clipboard_to_qt)
            self._hand_over_connected = True

    # ----- export all ------------------------------------------------------------------------

    def ask_export_folder(self) -> None:
        if self._report() is None:
            return
        from PySide6.QtWidgets import QFileDialog

        folder = window_state().value(LAST_FOLDER_KEY, str(Path.home()))
        dialog = QFileDialog(self._window, "Export All Formats to Folder", str(folder))
        dialog.setObjectName("exportAllDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.export_all_to)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def export_all_to(self, folder: str | Path) -> None:
        """Write every format into `folder`, asking first if that would replace files."""
        report = self._report()
        if report is None:
            return
        from hitl_desktop.core import export

        stem = export.suggested_stem(report.topic, report.created_at.astimezone())
        existing = [path for path in export.all_format_paths(folder, stem) if path.exists()]
        if not existing:
            self._write_all(Path(folder), stem)
            return
        from PySide6.QtWidgets import QMessageBox

        names = "\n".join(path.name for path in existing)
        box = QMessageBox(QMessageBox.Icon.Question, "Replace Files?",
                          f"These files already exist in {folder}:\n\n{names}\n\nReplace them?",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                          self._window)
        box.setObjectName("replaceFilesBox")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.finished.connect(lambda button: button == QMessageBox.StandardButton.Yes
                             and self._write_all(Path(folder), stem))
        box.finished.connect(box.deleteLater)
        box.open()

    def _write_all(self, folder: Path, stem: str) -> None:
        from hitl_desktop.core import export

        report = self._report()
        if report is None:
            return
        provenance = self.include_provenance
        self._write_files(f"Exporting {stem} in every format…",
                          lambda: export.save_all(folder, stem, report, provenance=provenance),
                          then=lambda _paths: window_state().setValue(LAST_FOLDER_KEY, str(folder)))

    # ----- print -----------------------------------------------------------------------------

    def ask_print(self) -> None:
        if self._report() is None:
            return
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter
        from PySide6.QtWidgets import QDialog

        self._printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        dialog = QPrintDialog(self._printer, self._window)
        dialog.setObjectName("printDialog")
        dialog.finished.connect(lambda result: result == QDialog.DialogCode.Accepted
                                and self.print_to(dialog.printer()))
        dialog.finished.connect(dialog.deleteLater)
        # QPrintDialog.open(receiver, member) hides QDialog.open(); call the base one.
        QDialog.open(dialog)

    def print_to(self, printer: QPrinter) -> int:
        """Paint the report on `printer` exactly as the PDF export lays it out; returns pages."""
        report = self._report()
        if report is None:
            return 0
        from hitl_desktop.ui.pdf_export import paint_report

        try:
            return paint_report(printer, report, provenance=self.include_provenance)
        except Exception as exc:  # noqa: BLE001 - a printing failure must reach the user, not crash
            self._failed(UserFacingError(f"Printing failed: {type(exc).__name__}.",
                                         "The report is still in the app; try saving it as PDF.",
                                         ErrorKind.IO))
            return 0


def _match_suffix(dialog: QFileDialog, name_filter: str) -> None:
    from hitl_desktop.core import export

    suffix = export.suffix_for_filter(name_filter)
    dialog.setDefaultSuffix(suffix[1:])
    chosen = dialog.selectedFiles()
    if chosen:
        dialog.selectFile(Path(chosen[0]).with_suffix(suffix).name)


def hand_clipboard_to_qt() -> None:
    """Swap clipboard data made in Python for an identical copy made by Qt itself.

    Some platforms (the offscreen one among them) keep the clipboard alive after Python has
    shut down; deleting a Python-made QMimeData then calls into a finalised interpreter and
    crashes at exit. A copy created by QClipboard.setText has no Python side, so it is safe,
    and what the user copied stays on the clipboard.
    """
    clipboard = QGuiApplication.clipboard()
    data = clipboard.mimeData()
    if data is None or not data.hasHtml():
        return
    html, text = data.html(), data.text()
    clipboard.setText(text)
    clipboard.mimeData().setHtml(html)

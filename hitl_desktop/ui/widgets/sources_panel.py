"""SourcesPanel: the documents the research is grounded in, and the controls to change them.

Lists the document roots (folders and files the user added) with the documents found in each and
their passage counts, or the sample documents when none are added. "Add Documents…" adds files or
a folder, Remove drops the selected root; either saves the list and re-indexes. While indexing, a
progress bar and Cancel show; files that could not be used are listed with the reason.

The panel owns the current `SourceLibrary` (`library()`); `libraryChanged` is emitted with it
when an index run has finished, so whoever searches can pick up the new one.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMenu,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.sources import SUPPORTED_SUFFIXES, IndexSummary
from hitl_desktop.core.sources import roots as saved_roots
from hitl_desktop.ui.source_indexer import SourceIndexer
from hitl_desktop.ui.widgets.document_tree import DocumentTree

if TYPE_CHECKING:
    from hitl_desktop.core.sources.library import SourceLibrary

_FILTER = ("Documents (" + " ".join(f"*{suffix}" for suffix in SUPPORTED_SUFFIXES) + ");;"
           "All files (*)")


class SourcesPanel(QWidget):
    libraryChanged = Signal(object)  # noqa: N815 (the SourceLibrary, freshly indexed)
    rootsChanged = Signal(list)  # noqa: N815 (list[Path])
    indexed = Signal(object)  # IndexSummary

    def __init__(self, roots: Sequence[Path] | None = None, *, cache_dir: Path | None = None,
                 sample_dir: Path | None = None,
                 launch_only: Collection[Path] | None = None,
                 save: Callable[[list[Path]], None] | None = saved_roots.save_roots,
                 parent: QWidget | None = None) -> None:
        """`roots` default to the saved ones plus HITL_DESKTOP_DOCUMENTS (marked "for this
        launch" unless `launch_only` says otherwise); `save` is called with the new list after
        each change (None: not saved); the sample documents are used while the list is empty."""
        super().__init__(parent, objectName="sourcesPanel")
        self._roots = list(saved_roots.load_roots() if roots is None else roots)
        self._launch_only = (set(launch_only) if launch_only is not None else
                             set(saved_roots.environment_roots()) - set(saved_roots.saved_roots()))
        self._cache_dir = cache_dir if cache_dir is not None else saved_roots.cache_dir()
        self._sample_dir = sample_dir
        self._save = save
        self._library: SourceLibrary | None = None  # made when first needed (it loads the index code)
        self._summary: IndexSummary | None = None
        self._again = False  # roots changed during a run: index again when it ends
        self._dialog: QFileDialog | None = None

        self.indexer = SourceIndexer(self)
        self.indexer.progress.connect(self._on_progress)
        self.indexer.finished.connect(self._on_finished)
        self.indexer.failed.connect(self._on_failed)
        self.indexer.cancelled.connect(self._on_cancelled)
        self.indexer.runningChanged.connect(self._on_running)
        self._build()
        self._show_documents()

    # --- Public ------------------------------------------------------------------------------

    def library(self) -> SourceLibrary:
        """The library to search: the user's documents, or the sample documents if none."""
        if self._library is None:
            self._library = self._make_library()
        return self._library

    def roots(self) -> list[Path]:
        return list(self._roots)

    def summary(self) -> IndexSummary | None:
        """What the last finished index run found (None before one has finished)."""
        return self._summary

    @property
    def uses_sample(self) -> bool:
        return not self._roots

    def add_roots(self, paths: Sequence[Path | str]) -> None:
        added = [Path(os.path.abspath(p)) for p in paths]
        new = [p for p in dict.fromkeys(added) if p not in self._roots]
        if new:
            self._set_roots([*self._roots, *new])

    def remove_root(self, root: Path) -> None:
        if root in self._roots:
            self._set_roots([r for r in self._roots if r != root])

    def refresh(self) -> None:
        """Index now (or again as soon as the running index ends)."""
        if self.indexer.running:
            self._again = True
            self.indexer.cancel()
            return
        self._again = False
        self._error.hide()
        self.indexer.start(self.library())

    def index_unless_indexed(self) -> None:
        """Index now unless an index run has finished or is going (the window starts one once
        it is up, whether or not this panel is showing)."""
        if self._summary is None and not self.indexer.running and _loop_running():
            self.refresh()

    def cancel_indexing(self) -> None:
        self._again = False
        self.indexer.cancel()

    @property
    def is_indexing(self) -> bool:
        return self.indexer.running

    # --- Building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self._status = QLabel(objectName="sourcesStatus", wordWrap=True)
        self._status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._tree = DocumentTree()
        self._tree.itemSelectionChanged.connect(self._update_buttons)

        self._add = QPushButton("Add Documents…", objectName="addDocumentsButton")
        menu = QMenu(self._add)
        menu.addAction("Files…", self.choose_files).setObjectName("addFilesAction")
        menu.addAction("Folder…", self.choose_folder).setObjectName("addFolderAction")
        self._add.setMenu(menu)
        self._add.setToolTip("Add Markdown, text, HTML, PDF or Word files, or a folder of them")
        self._remove = QPushButton("Remove", objectName="removeRootButton")
        self._remove.setToolTip("Stop using the selected folder or file (it is not deleted)")
        self._remove.clicked.connect(self._remove_selected)
        self._reindex = QPushButton("Refresh", objectName="refreshSourcesButton")
        self._reindex.setToolTip("Read new and changed documents")
        self._reindex.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        for button in (self._add, self._remove, self._reindex):
            buttons.addWidget(button)
        buttons.addStretch(1)

        self._progress = QProgressBar(objectName="indexProgress")
        self._progress.setFormat("Reading documents: %v of %m")
        self._cancel = QPushButton("Cancel", objectName="cancelIndexButton")
        self._cancel.setToolTip("Stop reading; the documents indexed before stay in use")
        self._cancel.clicked.connect(self.cancel_indexing)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self._progress, 1)
        progress_row.addWidget(self._cancel)
        self._progress_box = QWidget(objectName="indexProgressBox")
        self._progress_box.setLayout(progress_row)
        progress_row.setContentsMargins(0, 0, 0, 0)
        self._progress_box.hide()

        self._error = QLabel(objectName="sourcesError", wordWrap=True)
        self._error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self._error.hide()
        self._skipped_label = QLabel(objectName="skippedLabel")
        self._skipped = QListWidget(objectName="skippedList")
        self._skipped.setMaximumHeight(120)
        self._skipped.setWordWrap(True)
        self._skipped_label.hide()
        self._skipped.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._status)
        layout.addWidget(self._tree, 1)
        layout.addLayout(buttons)
        layout.addWidget(self._progress_box)
        layout.addWidget(self._error)
        layout.addWidget(self._skipped_label)
        layout.addWidget(self._skipped)
        self._update_buttons()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if self._summary is None and not self.indexer.running and _loop_running():
            self.refresh()  # without a loop (a test building the widget bare): on refresh()

    # --- Roots -------------------------------------------------------------------------------

    def _make_library(self) -> SourceLibrary:
        from hitl_desktop.core.sources.library import SourceLibrary

        if self._roots:
            return SourceLibrary(self._roots, self._cache_dir / "documents")
        sample = self._sample()
        return SourceLibrary([sample] if sample is not None else [], self._cache_dir / "sample")

    def _sample(self) -> Path | None:
        """The sample documents, or None when a damaged install lost them (said in the panel:
        the app still works on documents the user adds)."""
        if self._sample_dir is None:
            from hitl_desktop.core.resources import sample_corpus_dir

            try:
                self._sample_dir = sample_corpus_dir()
            except UserFacingError as error:
                self._show_error(f"The sample documents are missing: {error.hint} Add your own "
                                 "documents meanwhile.")
                return None
        return self._sample_dir

    def _set_roots(self, roots: list[Path]) -> None:
        self._roots = roots
        if self._save is not None:
            try:
                self._save(list(roots))
            except OSError as exc:
                self._show_error(f"The list of documents could not be saved ({exc.strerror or exc})."
                                 " It is used until you quit.")
        self._library = self._make_library()
        self._summary = None
        self.rootsChanged.emit(list(roots))
        self._show_documents()
        self.refresh()

    def choose_files(self) -> None:
        dialog = self._new_dialog("Add Documents", "addFilesDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFiles)
        dialog.setNameFilter(_FILTER)
        dialog.filesSelected.connect(self.add_roots)
        dialog.open()

    def choose_folder(self) -> None:
        dialog = self._new_dialog("Add a Folder of Documents", "addFolderDialog")
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(lambda folder: self.add_roots([folder]))
        dialog.open()

    def _new_dialog(self, title: str, name: str) -> QFileDialog:
        if self._dialog is not None:
            self._dialog.close()
        dialog = QFileDialog(self, title, str(self._roots[-1].parent if self._roots
                                              else Path.home()))
        dialog.setObjectName(name)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.destroyed.connect(lambda: setattr(self, "_dialog", None))
        self._dialog = dialog
        return dialog

    def _remove_selected(self) -> None:
        root = self._tree.selected_root()
        if root is not None:
            self.remove_root(root)

    def _update_buttons(self) -> None:
        self._remove.setEnabled(self._tree.selected_root() is not None)

    # --- Showing -----------------------------------------------------------------------------

    def _show_documents(self) -> None:
        documents = self.library().documents() if self._summary is not None else []
        self._tree.show_documents(self._roots, documents, sample=self._sample() if self.uses_sample else None,
                                  launch_only=self._launch_only, counted=self._summary is not None)
        self._status.setText(self._status_text())
        self._update_buttons()

    def _status_text(self) -> str:
        summary = self._summary
        if summary is None:
            return "Reading documents…" if self.indexer.running else (
                "The sample documents are used until you add your own." if self.uses_sample
                else "")
        if summary.documents == 0:
            from hitl_desktop.core.sources.library import no_documents_message

            return no_documents_message(summary, self._roots) or ""
        counts = (f"{summary.documents} document{'s' * (summary.documents != 1)}, "
                  f"{summary.passages} passage{'s' * (summary.passages != 1)}.")
        if self.uses_sample:
            return (f"No documents added: the research uses the sample documents ({counts[:-1]}: "
                    "tidal energy, urban beekeeping, bread, coral reefs, early aviation).")
        return f"The research is grounded in {counts}"

    def _show_skipped(self, summary: IndexSummary) -> None:
        self._skipped.clear()
        for skipped in summary.skipped:
            item = QListWidgetItem(f"{Path(skipped.path).name} — {skipped.reason}")
            item.setToolTip(skipped.path)
            self._skipped.addItem(item)
        count = len(summary.skipped)
        self._skipped_label.setText(f"{count} file{'s' * (count != 1)} skipped:")
        self._skipped_label.setVisible(bool(count))
        self._skipped.setVisible(bool(count))

    def _show_error(self, text: str) -> None:
        self._error.setText(text)
        self._error.show()

    # --- Indexer signals ---------------------------------------------------------------------

    def _on_running(self, running: bool) -> None:
        self._progress_box.setVisible(running)
        self._reindex.setEnabled(not running)
        if running:
            self._progress.setRange(0, 0)  # busy until the first count arrives
            self._status.setText(self._status_text())

    def _on_progress(self, done: int, total: int) -> None:
        if total:
            self._progress.setRange(0, total)
            self._progress.setValue(done)

    def _on_finished(self, summary: IndexSummary) -> None:
        self._summary = summary
        self._show_skipped(summary)
        self._show_documents()
        self.indexed.emit(summary)
        self.libraryChanged.emit(self.library())
        self._again_if_asked()

    def _on_failed(self, error: UserFacingError) -> None:
        self._show_error(f"{error.message} {error.hint}".strip())
        self._again_if_asked()

    def _on_cancelled(self) -> None:
        if not self._again:
            self._status.setText("Reading was cancelled; the documents indexed before stay in "
                                 "use. Refresh reads them again.")
        self._again_if_asked()

    def _again_if_asked(self) -> None:
        if self._again:
            asyncio.get_running_loop().call_soon(self.refresh)


def _loop_running() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True

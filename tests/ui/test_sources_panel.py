"""The Sources panel and the indexer behind it, on the real qasync loop."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument
from PySide6.QtWidgets import QFileDialog, QLabel, QProgressBar, QPushButton, QTreeWidget

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.resources import sample_corpus_dir
from hitl_desktop.core.sources import IndexSummary, SourceLibrary
from hitl_desktop.core.sources import library as library_module
from hitl_desktop.ui.source_indexer import SourceIndexer
from hitl_desktop.ui.widgets.sources_panel import SourcesPanel

TIMEOUT = 20_000


def write_documents(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tides.md").write_text(
        "# Tides\n\n## Range\n\nThe Severn has one of the largest tidal ranges in the world.\n\n"
        "## Stream\n\nTidal stream turbines stand in fast currents.\n", encoding="utf-8")
    (folder / "bees.md").write_text("# Bees\n\nCity bees forage on lime trees in July.\n",
                                    encoding="utf-8")
    (folder / "notes.txt").write_text("Plain notes about sourdough starters.\n", encoding="utf-8")
    (folder / "photo.txt").write_bytes(b"\x89PNG\x00\x00\x01\x02")
    (folder / "empty.md").write_bytes(b"")
    return folder


@pytest.fixture
def make_panel(qtbot, qloop, tmp_path: Path):  # type: ignore[no-untyped-def]
    saved: list[list[Path]] = []

    def make(roots: list[Path], **kwargs: object) -> SourcesPanel:
        panel = SourcesPanel(roots, cache_dir=tmp_path / "cache", save=saved.append,
                             launch_only=(), **kwargs)  # type: ignore[arg-type]
        panel.saved = saved  # type: ignore[attr-defined]
        qtbot.addWidget(panel)
        panel.resize(520, 480)
        return panel

    yield make


def tree_rows(panel: SourcesPanel) -> list[tuple[str, str, list[tuple[str, str]]]]:
    tree = panel.findChild(QTreeWidget, "sourcesTree")
    rows = []
    for index in range(tree.topLevelItemCount()):
        top = tree.topLevelItem(index)
        children = [(top.child(n).text(0), top.child(n).text(1)) for n in range(top.childCount())]
        rows.append((top.text(0), top.text(1), sorted(children)))
    return rows


def test_a_folder_added_is_indexed_with_progress(make_panel, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_documents(tmp_path / "my documents")
    panel = make_panel([])
    panel.show()
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):  # the sample corpus, on show
        pass
    assert panel.uses_sample and tree_rows(panel)[0][0] == "Sample documents"

    progress: list[tuple[int, int]] = []
    panel.indexer.progress.connect(lambda done, total: progress.append((done, total)))
    box = panel.findChild(QProgressBar, "indexProgress").parentWidget()
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT) as indexed:
        panel.add_roots([folder])
        assert box.isVisible() and panel.is_indexing
    summary: IndexSummary = indexed.args[0]
    assert (summary.documents, summary.reread) == (3, 5)
    assert progress[-1] == (5, 5)
    assert not box.isVisible()
    assert panel.saved == [[folder]]  # type: ignore[attr-defined]
    assert tree_rows(panel) == [("my documents", "4", [("Bees", "1"), ("Tides", "2"),
                                                       ("notes.txt", "1")])]
    skipped = panel.findChild(type(panel._skipped), "skippedList")
    assert [skipped.item(n).text() for n in range(skipped.count())] == [
        "empty.md — empty", "photo.txt — not text (binary)"]
    assert skipped.isVisible()
    status = panel.findChild(type(panel._status), "sourcesStatus").text()
    assert status == "The research is grounded in 3 documents, 4 passages."
    assert panel.library().search("tidal range")[0].passage.title == "Tides"


def test_remove_goes_back_to_the_sample_documents(make_panel, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = write_documents(tmp_path / "first")
    panel = make_panel([first])
    changed: list[SourceLibrary] = []
    panel.libraryChanged.connect(changed.append)
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):
        panel.show()
    tree = panel.findChild(QTreeWidget, "sourcesTree")
    remove = panel.findChild(QPushButton, "removeRootButton")
    assert not remove.isEnabled()
    tree.setCurrentItem(tree.topLevelItem(0).child(0))  # a document selects its root
    assert remove.isEnabled()
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT) as indexed:
        remove.click()
    assert panel.roots() == [] and panel.saved[-1] == []  # type: ignore[attr-defined]
    assert indexed.args[0].documents == 30
    assert len(changed) == 2 and changed[-1] is panel.library()
    assert "sample documents" in panel.findChild(type(panel._status), "sourcesStatus").text()


def test_cancel_stops_mid_way_and_keeps_the_previous_index(make_panel, qtbot, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    for number in range(200):
        (folder / f"note {number:03d}.md").write_text(f"# Note {number}\n\nTidal note {number}.\n",
                                                      encoding="utf-8")
    real_read = library_module.read_document

    def slow_read(path, data):  # type: ignore[no-untyped-def]
        time.sleep(0.01)
        return real_read(path, data)

    monkeypatch.setattr(library_module, "read_document", slow_read)
    panel = make_panel([folder])
    panel.show()
    qtbot.waitUntil(lambda: panel.findChild(QProgressBar, "indexProgress").value() >= 5,
                    timeout=TIMEOUT)
    with qtbot.waitSignal(panel.indexer.cancelled, timeout=TIMEOUT):
        panel.findChild(QPushButton, "cancelIndexButton").click()
    qtbot.waitUntil(lambda: not panel.is_indexing, timeout=TIMEOUT)
    assert not panel.findChild(QProgressBar, "indexProgress").isVisible()
    assert "cancelled" in panel.findChild(type(panel._status), "sourcesStatus").text()
    assert not (tmp_path / "cache" / "documents" / "files.jsonl").exists()
    assert panel.library().search("tidal note") == []


def test_the_add_documents_dialogs_open_without_blocking(make_panel, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = write_documents(tmp_path / "docs")
    panel = make_panel([])
    panel.show()
    qtbot.waitUntil(lambda: panel.summary() is not None, timeout=TIMEOUT)
    add = panel.findChild(QPushButton, "addDocumentsButton")
    actions = {action.objectName(): action for action in add.menu().actions()}

    actions["addFilesAction"].trigger()
    dialog = panel.findChild(QFileDialog, "addFilesDialog")
    assert dialog.isVisible() and dialog.fileMode() == QFileDialog.FileMode.ExistingFiles
    assert "*.docx" in dialog.nameFilters()[0]
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):
        dialog.filesSelected.emit([str(folder / "tides.md"), str(folder / "bees.md")])
        dialog.close()
    assert panel.roots() == [folder / "tides.md", folder / "bees.md"]
    assert tree_rows(panel) == [("Tides", "2", []), ("Bees", "1", [])]

    actions["addFolderAction"].trigger()
    dialog = panel.findChild(QFileDialog, "addFolderDialog")
    assert dialog.isVisible() and dialog.fileMode() == QFileDialog.FileMode.Directory
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT) as indexed:
        dialog.fileSelected.emit(str(folder))
        dialog.close()
    assert panel.roots()[-1] == folder
    assert indexed.args[0].documents == 3  # the two files are not counted twice


def test_a_folder_with_nothing_usable_says_so(make_panel, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "pictures"
    folder.mkdir()
    (folder / "a.png").write_bytes(b"\x89PNG")
    panel = make_panel([folder])
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):
        panel.show()
    status = panel.findChild(type(panel._status), "sourcesStatus").text()
    assert status.startswith("The added files and folders hold no usable documents")


def test_an_indexing_failure_is_reported(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    class Broken(SourceLibrary):
        def refresh(self, progress=None, cancelled=None):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    indexer = SourceIndexer()
    with qtbot.waitSignal(indexer.failed, timeout=TIMEOUT) as failed:
        assert indexer.start(Broken([tmp_path], tmp_path / "cache"))
        assert not indexer.start(Broken([tmp_path], tmp_path / "cache"))  # one at a time
    error = failed.args[0]
    assert isinstance(error, UserFacingError) and "RuntimeError" in error.message
    qtbot.waitUntil(lambda: not indexer.running, timeout=TIMEOUT)


def test_a_pdf_written_by_qt_is_read_page_by_page(qtbot, qloop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """The app's own PDF export goes through QPdfWriter: such a PDF must index with page numbers."""
    folder = tmp_path / "pdfs"
    folder.mkdir()
    writer = QPdfWriter(str(folder / "report.pdf"))
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait, QMarginsF(20, 20, 20, 20)))
    document = QTextDocument()
    document.setHtml("<h1>Barrages</h1><p>La Rance opened in 1966.</p>"
                     "<p style='page-break-before: always'>Lagoons were proposed at Swansea.</p>")
    document.setPageSize(QSizeF(writer.width(), writer.height()))
    document.print_(writer)
    del writer
    library = SourceLibrary([folder], tmp_path / "cache")
    indexer = SourceIndexer()
    with qtbot.waitSignal(indexer.finished, timeout=TIMEOUT) as finished:
        indexer.start(library)
    assert finished.args[0].documents == 1
    assert library.search("Swansea lagoons")[0].passage.location == "page 2"
    assert library.search("La Rance 1966")[0].passage.location == "page 1"


def test_the_sample_corpus_is_the_default(make_panel, qtbot) -> None:  # type: ignore[no-untyped-def]
    panel = make_panel([])
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):
        panel.show()
    (label, total, children) = tree_rows(panel)[0]
    assert label == "Sample documents" and len(children) == 30
    assert int(total) == sum(int(count) for _, count in children)
    assert panel.library().roots == [sample_corpus_dir()]


def test_missing_sample_documents_are_said_and_the_panel_still_works(qtbot, qloop, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A damaged install that lost its sample documents still starts; the panel says so."""
    import hitl_desktop.core.resources as resources

    def missing() -> Path:
        raise UserFacingError("The application's resource files are missing.",
                              "The installation looks damaged: reinstall HITL Desktop.")

    monkeypatch.setattr(resources, "sample_corpus_dir", missing)
    panel = SourcesPanel([], cache_dir=tmp_path / "cache", save=None)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitUntil(lambda: panel.summary() is not None, timeout=10_000)
    error = panel.findChild(QLabel, "sourcesError")
    assert error.isVisible() and "sample documents are missing" in error.text()
    assert panel.library().search("tidal power") == []


def test_a_large_library_fills_the_tree_between_frames_and_a_new_index_starts_it_again(make_panel, qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    # An item a document made at once froze the window 20-50 ms for 1,500 documents when an
    # index run ended; the documents go in a step at a time, the first step at once.
    from hitl_desktop.ui.widgets.document_tree import _ROWS_PER_STEP

    folder = tmp_path / "many"
    folder.mkdir()
    count = _ROWS_PER_STEP * 2 + 10
    for number in range(count):
        (folder / f"note {number:04d}.md").write_text(f"# Note {number:04d}\n\nTidal note {number}.\n",
                                                      encoding="utf-8")
    panel = make_panel([folder])
    tree = panel.findChild(QTreeWidget, "sourcesTree")
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):
        panel.show()
    assert tree.is_filling() and tree.topLevelItem(0).childCount() == _ROWS_PER_STEP
    assert tree.topLevelItem(0).text(1) == str(count)  # the root's total at once
    panel.refresh()  # an index run that ends mid-fill starts the tree again
    with qtbot.waitSignal(panel.indexed, timeout=TIMEOUT):
        pass
    qtbot.waitUntil(lambda: not tree.is_filling(), timeout=TIMEOUT)
    (label, total, children) = tree_rows(panel)[0]
    assert (label, total) == ("many", str(count))
    assert [title for title, _ in children] == [f"Note {number:04d}" for number in range(count)]
    tree.setCurrentItem(tree.topLevelItem(0).child(count - 1))  # a document added in the last step
    assert panel.findChild(QPushButton, "removeRootButton").isEnabled()

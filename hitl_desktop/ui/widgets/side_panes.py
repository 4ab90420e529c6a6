"""SidePanes: the window's left-hand tabs — the run's Progress, the Sources research searches, and
the History of runs."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget, QWidget

from hitl_desktop.core.sources.current import CurrentSources
from hitl_desktop.core.store import RunStore
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.ui.widgets.history_panel import HistoryPanel
from hitl_desktop.ui.widgets.progress_list import ProgressList
from hitl_desktop.ui.widgets.sources_panel import SourcesPanel

_INDEX_AFTER_MS = 300  # after the first frames: loading the index's code takes a moment


class SidePanes(QTabWidget):
    def __init__(self, bridge: WorkflowBridge, store: RunStore, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="sidePanes")
        self.progress = ProgressList(self)
        self.sources = SourcesPanel(parent=self)
        self.history = HistoryPanel(store, self)
        self.addTab(self.progress, "Progress")
        self.addTab(self.sources, "Sources")
        self.addTab(self.history, "History")
        if bridge.sources is None:  # runs search these documents, waiting for an index being built
            current = CurrentSources(self.sources.library)
            self.sources.indexer.runningChanged.connect(
                lambda running: current.indexing() if running else current.ready())
            bridge.sources = current
        # Indexed whether or not the tab shows; dropped if the panel goes first.
        QTimer.singleShot(_INDEX_AFTER_MS, self.sources, self.sources.index_unless_indexed)

    def add_documents(self) -> None:
        self.setCurrentWidget(self.sources)
        self.sources.choose_files()

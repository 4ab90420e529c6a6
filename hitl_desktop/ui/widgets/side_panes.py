"""SidePanes: the window's left-hand tabs — the run's Progress, the Sources research searches, the
History of runs, and in team mode the Team queue of the server's runs.

In team mode runs start on the server and only the Team queue lists them, so it takes the
History's place (where a reviewer looks for runs), and the History, which keeps only runs made
on this desk without the server, is labelled "Local history" after it: one place to look.

Built in two steps, so the window's first frame needs neither the bridge nor the run store (nor
the asyncio and SQLite code behind them): the tabs and the Progress list first, shown at once;
the Sources, History and Team panels when the services are attached (`attach`), a frame later.
Until then the Sources and History tabs hold a disabled empty page (the Progress tab is the one
shown); in team mode the Team queue tab comes in with the services.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QTabWidget, QWidget

from hitl_desktop.ui.widgets.progress_list import ProgressList

if TYPE_CHECKING:
    from hitl_desktop.core.store import RunStore
    from hitl_desktop.ui.bridge import WorkflowBridge
    from hitl_desktop.ui.widgets.history_panel import HistoryPanel
    from hitl_desktop.ui.widgets.sources_panel import SourcesPanel
    from hitl_desktop.ui.widgets.team_queue_panel import TeamQueuePanel

_TEAM_TIP = "Every run on the team server, yours and your team's, with what it is doing"
_LOCAL_TIP = "Runs made on this desk without a team server"
_INDEX_AFTER_MS = 300  # after the first frames: loading the index's code takes a moment
_LATER_TABS = ("Sources", "History")


class SidePanes(QTabWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="sidePanes")
        self.progress = ProgressList(self)
        self.addTab(self.progress, "Progress")
        for title in _LATER_TABS:  # the same tabs as once attached: the layout does not move
            self.addTab(QWidget(self), title)
            self.setTabEnabled(self.count() - 1, False)

    def attach(self, bridge: WorkflowBridge, store: RunStore) -> None:
        """The panels that need the bridge and the run history, in their tabs' places."""
        from hitl_desktop.core.sources.current import CurrentSources
        from hitl_desktop.ui.widgets.history_panel import HistoryPanel
        from hitl_desktop.ui.widgets.sources_panel import SourcesPanel
        from hitl_desktop.ui.widgets.team_queue_panel import TeamQueuePanel

        self.sources: SourcesPanel = SourcesPanel(parent=self)
        self.history: HistoryPanel = HistoryPanel(store, self)
        current = self.currentIndex()
        for index, (panel, title) in enumerate(zip((self.sources, self.history), _LATER_TABS), start=1):
            placeholder = self.widget(index)
            self.insertTab(index, panel, title)
            self.removeTab(index + 1)
            placeholder.deleteLater()
        self.setCurrentIndex(current)
        self.team: TeamQueuePanel = TeamQueuePanel(bridge, self)  # a tab in team mode only (show_team)
        self.team.hide()
        if bridge.sources is None:  # runs search these documents, waiting for an index being built
            sources = CurrentSources(self.sources.library)
            self.sources.indexer.runningChanged.connect(
                lambda running: sources.indexing() if running else sources.ready())
            bridge.sources = sources
        # Indexed whether or not the tab shows; dropped if the panel goes first.
        QTimer.singleShot(_INDEX_AFTER_MS, self.sources, self.sources.index_unless_indexed)

    def show_team(self, on: bool) -> None:
        """The Team queue tab in the History's place, in team mode (a team server is set)."""
        index = self.indexOf(self.team)
        if on and index < 0:
            self.insertTab(self.indexOf(self.history), self.team, "Team queue")
            self.setTabToolTip(self.indexOf(self.team), _TEAM_TIP)
        elif not on and index >= 0:
            self.removeTab(index)
        history = self.indexOf(self.history)
        self.setTabText(history, "Local history" if on else "History")
        self.setTabToolTip(history, _LOCAL_TIP if on else "")
        self.team.set_active(on)

    def add_documents(self) -> None:
        self.setCurrentWidget(self.sources)
        self.sources.choose_files()

"""What the main window runs on beyond its widgets — the settings service, the run store, the
bridge to the workflow, the run rules and the report writer — made (unless given) and wired in.

Kept out of the window's module: these import asyncio, SQLite, keyring and the core's run code,
which the app loads after the window's first frame (app.py), not before it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hitl_desktop.core.run import RunController
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.core.store import RunStore
from hitl_desktop.ui import pdf_export  # noqa: F401 (registers the PDF format with the core's exporter)
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.ui.report_files import ReportFileWriter
from hitl_desktop.ui.widgets.file_write_notes import FileWriteNotes
from hitl_desktop.ui.widgets.provider_status import ProviderStatus
from hitl_desktop.ui.widgets.resume_offer import ResumeOffers
from hitl_desktop.ui.widgets.run_questions import RunQuestions

if TYPE_CHECKING:
    from hitl_desktop.ui.widgets.main_window import MainWindow


def attach_services(window: MainWindow, bridge: WorkflowBridge | None, settings: SettingsService | None,
                    store: RunStore | None) -> None:
    # The one holder of the keys: Settings, its Test Connection, the setup notice and runs.
    window.settings_service = settings or SettingsService(SecretStore())
    window.bridge = bridge or WorkflowBridge(settings=window.settings_service)
    window.bridge.setParent(window)
    # The run history: where runs are kept, so a paused review outlives the app.
    window.store = store or RunStore.open()
    if window.bridge.store is None:
        window.bridge.store = window.store
    window.runs = RunController(window.bridge, RunQuestions(
        window, save_report_as=lambda then: window.reportActions.ask_save_path(then)))
    window.files = ReportFileWriter(window.runs, window)
    window.files.busyChanged.connect(lambda _busy: window._update_actions())
    window.fileNotes = FileWriteNotes(window.files, lambda: window.runs.is_writing, window.statusBar(),
                                      window.progressList, window.messageBar, window)
    _attach_panes(window)
    window.providerStatus = ProviderStatus(window.settings_service, window.setupBanner, window,
                                           window.providerLabel)
    window.providerStatus.refresh()
    window.resumeOffers = ResumeOffers(window.bridge, window.messageBar, lambda: window.display.shown, window)
    _connect_bridge(window)


def _attach_panes(window: MainWindow) -> None:
    panes = window.sidePanes
    panes.attach(window.bridge, window.store)
    window.sourcesPanel, window.history, window.teamQueue = panes.sources, panes.history, panes.team
    window.history.runChosen.connect(window._on_run_chosen)
    window.history.resumeRequested.connect(window._resume)
    window.history.failed.connect(window.messageBar.show_user_error)
    window.teamQueue.opened.connect(window._show_run)
    window.teamQueue.openFailed.connect(window.messageBar.show_user_error)
    panes.show_team(window.bridge.team_mode)


def _connect_bridge(window: MainWindow) -> None:
    bridge = window.bridge
    bridge.runStarted.connect(window.display.add)
    bridge.progress.connect(window._on_progress)
    bridge.researchDelta.connect(window._on_research_delta)
    bridge.reviewRequested.connect(window._on_review_requested)
    bridge.reportDelta.connect(window.display.report_delta)
    bridge.finished.connect(window._on_finished)
    bridge.stepFailed.connect(window._on_step_failed)
    bridge.failed.connect(window._on_failed)
    bridge.cancelled.connect(window._on_cancelled)
    bridge.runEnded.connect(window._on_run_ended)
    for changed in (bridge.runningChanged, bridge.reviewRequested):
        changed.connect(window.history.refresh)
    window.reviewBanner.draftChanged.connect(bridge.save_draft)

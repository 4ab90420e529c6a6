"""MainWindow: topic in, progress list, review on request, streamed report out, saved as a file.

It wires widgets to the run's rules (`core.run.RunController`) and to the workflow (through the
bridge), and shows state. What Run, Stop, Quit and Save may do lives in the controller. Several
runs may go at once; the panes show the one selected (`RunDisplay`), each has its review dialog.

Built in two steps, so the app can show its first frame before asyncio, the bridge and the run
store are even imported: the widgets (this module needs no more than Qt and the widgets), then
the services (`attach_services`, see `window_services`). Until they are attached, the commands
that need them are disabled. A window given a bridge, or asked for no first frame, attaches at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QMainWindow, QPushButton, QSplitter, QVBoxLayout, QWidget

from hitl_desktop import APP_NAME
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.ui.widgets.banner import ProblemBar, SetupBanner
from hitl_desktop.ui.widgets.button_icons import reserve_standard_icon, set_standard_icons
from hitl_desktop.ui.widgets.main_menus import install_menus
from hitl_desktop.ui.widgets.report_view import ReportView
from hitl_desktop.ui.widgets.research_preview import ResearchPreview
from hitl_desktop.ui.widgets.review_banner import ReviewBanner
from hitl_desktop.ui.widgets.run_display import RunDisplay
from hitl_desktop.ui.widgets.side_panes import SidePanes
from hitl_desktop.ui.widgets.status_bar import StatusBar
from hitl_desktop.ui.widgets.titled import TitledPane
from hitl_desktop.ui.widgets.topic_editor import TopicEditor
from hitl_desktop.ui.widgets.window_commands import update_commands
from hitl_desktop.ui.window_state import restore_layout, save_layout

if TYPE_CHECKING:  # attached after the first frame (window_services), as is the run data
    from PySide6.QtGui import QAction, QCloseEvent

    from hitl_desktop.core.models import (ProgressUpdate, Report, ResearchDelta, ReviewDecision, ReviewRequest,
                                         StepFailure)
    from hitl_desktop.core.run import RunController
    from hitl_desktop.core.settings_service import SettingsService
    from hitl_desktop.core.store import RunStore, StoredRun
    from hitl_desktop.ui.bridge import WorkflowBridge
    from hitl_desktop.ui.report_files import ReportFileWriter
    from hitl_desktop.ui.widgets.file_write_notes import FileWriteNotes
    from hitl_desktop.ui.widgets.provider_status import ProviderStatus
    from hitl_desktop.ui.widgets.resume_offer import ResumeOffers


class MainWindow(QMainWindow):
    settings_service: SettingsService
    bridge: WorkflowBridge
    store: RunStore
    runs: RunController
    files: ReportFileWriter
    fileNotes: FileWriteNotes
    providerStatus: ProviderStatus
    resumeOffers: ResumeOffers

    def __init__(self, bridge: WorkflowBridge | None = None, parent: QWidget | None = None, *,
                 settings: SettingsService | None = None, store: RunStore | None = None,
                 attach: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        self.setStatusBar(StatusBar(self))
        self.attached = False
        install_menus(self)
        self._build_ui()
        restore_layout(self, self.splitter, [360, 740])
        self._update_actions()
        if attach:
            self.attach_services(bridge, settings=settings, store=store)

    def attach_services(self, bridge: WorkflowBridge | None = None, *, settings: SettingsService | None = None,
                        store: RunStore | None = None) -> None:
        """Give the window its settings, run store, bridge and run rules (made here if not given)."""
        from hitl_desktop.ui.widgets.window_services import attach_services

        self.set_standard_icons()
        attach_services(self, bridge, settings, store)
        self.attached = True
        self._update_actions()
        if self.store.problem:
            self.messageBar.show_error(self.store.problem, "The app works on; runs are kept from now on.")
        self.statusBar().showMessage("Ready")
        QTimer.singleShot(0, self, self._resume_waiting)

    def set_standard_icons(self) -> None:
        """The buttons' icons from the style, which the first frame shows blank (button_icons)."""
        set_standard_icons([self.runButton, self.stopButton])

    # ----- construction -------------------------------------------------------------------

    def _build_ui(self) -> None:
        topic_label = QLabel("Research &topic:")
        self.topic = TopicEditor(self)
        self.topic.changed.connect(self._update_actions)
        self.topic.runRequested.connect(self.runAction.trigger)
        self.topicInput, self.topicHint = self.topic.input, self.topic.hint
        topic_label.setBuddy(self.topicInput)

        self.runButton = self._button("Run", "runButton", "SP_MediaPlay",
                                      "Start researching the topic (Ctrl+Enter)", self.runAction)
        self.runButton.setDefault(True)
        self.stopButton = self._button("Stop", "stopButton", "SP_MediaStop",
                                       "Stop the run shown (Esc)", self.stopAction)
        buttons = QVBoxLayout()
        buttons.addWidget(self.runButton)
        buttons.addWidget(self.stopButton)
        buttons.addStretch(1)
        topic_row = QHBoxLayout()
        topic_row.addWidget(self.topicInput, 1)
        topic_row.addLayout(buttons)

        self.setupBanner = SetupBanner(self)
        self.messageBar = ProblemBar(self.open_settings, self.setupBanner.isVisible, self)
        self.setupBanner.openSettings.connect(self.open_settings)
        self.reviewBanner = ReviewBanner(self, lambda: self.display.shown)
        self.reviewBanner.decided.connect(self._on_decided)
        self.reviewBanner.dialogClosed.connect(self._update_actions)
        self.reviewPendingButton = self.reviewBanner.button

        self.reportView = ReportView(self)
        self.reportView.setAccessibleName("Report")
        self.splitter = QSplitter()  # horizontal, Qt's default: the Qt namespace's enums cost 20 ms to load
        self.sidePanes = SidePanes(self)
        self.progressList = self.sidePanes.progress
        self.researchPreview = ResearchPreview(self)
        self.display = RunDisplay(self.progressList, self.reportView, self.researchPreview, self)
        self._research_count_shown_at = 0.0  # when the status bar last said how much research came
        self.splitter.addWidget(self.researchPreview.beside(TitledPane("Research", self.sidePanes)))
        self.reportPane = TitledPane("Report", self.reportView)  # titled with the run it shows
        self.display.shownChanged.connect(self.reportPane.set_subject)
        self.splitter.addWidget(self.reportPane)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addWidget(topic_label)
        layout.addLayout(topic_row)
        for widget in (self.topicHint, self.setupBanner, self.messageBar, self.reviewBanner):
            layout.addWidget(widget)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.resize(1120, 760)
        self.setMinimumSize(760, 520)
        self.providerLabel = QLabel(self, objectName="providerLabel")  # named once the settings are read
        self.statusBar().addPermanentWidget(self.providerLabel)

    def _button(self, text: str, name: str, icon: str, tip: str, action: QAction) -> QPushButton:
        button = QPushButton(text, objectName=name)
        reserve_standard_icon(button, icon)
        button.setToolTip(tip)
        button.clicked.connect(action.trigger)
        return button

    # ----- public surface -----------------------------------------------------------------

    @property
    def report(self) -> Report | None:
        return self.runs.report if self.attached else None

    @property
    def is_writing_files(self) -> bool:
        return self.attached and self.runs.is_writing

    def run_research(self) -> None:
        self.runs.request_run(self._start_run)

    @property
    def shown_run(self) -> str | None:
        """The id of the run the panes show (selected in the History; a new run when it starts)."""
        return self.display.shown

    def stop_run(self, *, ask: bool = True) -> None:
        """Stop the run shown; once its research has been reviewed, only after the user confirms."""
        self.runs.request_stop(self.display.shown, ask=ask)

    def close_without_asking(self) -> None:
        """Close at once, running no confirmation (SIGTERM at logout: nobody is there to answer)."""
        self.runs.close_without_asking()
        self.close()

    def open_review(self) -> None:
        self.reviewBanner.open_dialog()

    def retry_failed_step(self) -> None:
        """Retry the model call the run shown is paused on (also F5 and the Research menu)."""
        run_id = self.display.shown
        failure = self.bridge.pending_failure(run_id)
        if failure is None or not self.bridge.retry(run_id):
            return
        self.messageBar.clear_step_failure()
        if failure.stage == "report":  # Stage.REPORT (a StrEnum): the run data load after the first frame
            self.display.report_restarted(run_id)
        self._update_actions()

    def save_report(self, path: Path | str) -> Path:
        """Save the finished report to `path`; the suffix picks the format. Raises UserFacingError."""
        report = self.report
        if report is None:
            raise UserFacingError("There is no finished report to save yet.",
                                  "Run the research and approve it first.", ErrorKind.BAD_INPUT)
        from hitl_desktop.core import export

        saved = export.save_report(path, report, provenance=self.reportActions.include_provenance)
        self.runs.report_saved = True
        self.fileNotes.saved([saved])
        return saved

    def write_report_files(self, description: str, write: Callable[[], list[Path]], *,
                           then: Callable[[list[Path]], None] | None = None,
                           failed: Callable[[UserFacingError], None] | None = None) -> None:
        """Run `write` (it saves the current report's files and returns their paths) on a worker
        thread. One write at a time; closing the window waits for it. Success is noted (then
        `then`), a failure shown (then `failed`)."""
        self.files.write(description, write, then=then, failed=failed)

    # ----- the runs -----------------------------------------------------------------------

    def _start_run(self) -> str | None:
        try:
            run_id = self.bridge.start(self.topic.text())
        except UserFacingError as error:
            self.messageBar.show_error(error.message, error.hint)
            return None
        self.messageBar.hide()
        self._show_run(run_id)
        self.providerStatus.refresh()
        return run_id

    def _show_run(self, run_id: str) -> None:
        """Put a going run on the panes, with what waits on it."""
        if not self.display.show(run_id):
            return
        self.history.select(run_id)
        self.runs.report_shown(None)
        failure = self.bridge.pending_failure(run_id)
        if failure is not None:
            self.messageBar.show_step_failure(failure.error, self.retry_failed_step)
        else:
            self.messageBar.clear_step_failure()
        self._update_actions()

    def _on_run_ended(self, run_id: str) -> None:
        self.reviewBanner.discard(run_id)
        if self.display.is_shown(run_id):
            self.messageBar.clear_step_failure()  # its Retry would act on a run that is gone
        self.display.ended(run_id)
        self.runs.run_ended(run_id)
        self._update_actions()

    def _on_progress(self, run_id: str, update: ProgressUpdate) -> None:
        self.display.progress(run_id, update)
        if self.display.is_shown(run_id):
            self.statusBar().showMessage(update.message)

    def _on_research_delta(self, run_id: str, delta: ResearchDelta) -> None:
        self.display.research_delta(run_id, delta)
        # A fast model sends thousands of pieces a second: the count changes at a pace one can
        # read (each message is elided to the bar's width, 0.1 ms of text measuring).
        now = time.monotonic()
        if self.display.is_shown(run_id) and now - self._research_count_shown_at >= 0.1:
            self._research_count_shown_at = now
            self.statusBar().showMessage(f"Researching round {delta.round}… "
                                         f"{self.display.research_chars(run_id):,} characters received")

    def _on_review_requested(self, run_id: str, request: ReviewRequest) -> None:
        self.runs.review_requested(run_id)
        self.display.review_requested(run_id, request)
        self.reviewBanner.show_request(run_id, request)
        self.statusBar().showMessage(f"Research round {request.round} of “{request.topic[:60]}” is waiting "
                                     "for your review")
        self._update_actions()

    def _on_decided(self, run_id: str, decision: ReviewDecision) -> None:
        if self.bridge.submit_decision(run_id, decision):
            self.reviewBanner.decision_taken(run_id)
        self._update_actions()

    def _on_finished(self, run_id: str, report: Report) -> None:
        if not self.display.is_shown(run_id):  # kept in the history: shown when selected there
            self.statusBar().showMessage(f"“{report.topic[:60]}” is done: select it in the History", 8000)
            return
        self.runs.report_arrived(report)
        self.reportView.show_report(report.markdown)
        self.statusBar().showMessage("Report ready. Save it with Ctrl+S.")

    def _on_cancelled(self, run_id: str, draft: Report | None) -> None:
        """A report stopped mid-way stays usable as a marked draft: save, copy or print it."""
        if not self.display.is_shown(run_id):
            return
        self.reportView.flush_now()
        self.statusBar().showMessage("Run stopped")
        if draft is not None and self.report is None:
            self.runs.report_arrived(draft)
            self.reportView.show_report(draft.markdown)
            self.progressList.note("The unfinished report is kept as a draft: save or copy it like any report")
            self._update_actions()

    def _on_step_failed(self, run_id: str, failure: StepFailure) -> None:
        self.display.mark_last_as_error(run_id)
        if self.display.is_shown(run_id):
            self.reportView.flush_now()
            self.messageBar.show_step_failure(failure.error, self.retry_failed_step)
        self._update_actions()
        self.statusBar().showMessage(f"The {failure.stage} of “{self.bridge.topic_of(run_id)[:60]}” failed; "
                                     "the run is waiting for you")

    def _on_failed(self, run_id: str, error: UserFacingError) -> None:
        self.display.failed(run_id, error.message)
        if self.display.is_shown(run_id):
            self.reportView.flush_now()
            self.messageBar.show_run_failure(error, self.run_research)
            self.statusBar().showMessage("The run failed")

    # ----- history ------------------------------------------------------------------------

    def _resume_waiting(self) -> None:
        """At start, every run left waiting for a review (or a retry) waits again; the newest is shown."""
        waiting = self.store.recover_after_start().waiting if self.store.writable else ()
        for run in reversed(waiting):
            self._resume(run.id)

    def _resume(self, run_id: str) -> None:
        """Take up a run kept in the history (waiting, or interrupted) and show it."""
        if not self.bridge.is_active(run_id):
            try:
                self.bridge.resume(run_id)
            except UserFacingError as error:
                self.messageBar.show_error(error.message, error.hint)
                self.history.refresh()
                return
        self._show_run(run_id)

    def _on_run_chosen(self, run: StoredRun) -> None:
        """The History's selection: a going run as it goes, a waiting one taken up, a past one as kept."""
        if self.bridge.is_active(run.id) or run.pending is not None:
            self._resume(run.id)
            return
        from hitl_desktop.core.models import Report  # loaded with the services, after the first frame

        self.display.show_stored(run)
        self.messageBar.clear_step_failure()
        self.runs.report_shown(None if run.report is None else Report(
            topic=run.summary.topic, markdown=run.report.markdown, rounds=run.summary.rounds,
            model=run.report.model))
        self._update_actions()

    # ----- settings -----------------------------------------------------------------------

    def open_settings(self) -> None:
        from hitl_desktop.ui.settings_service import AsyncSettingsService
        from hitl_desktop.ui.widgets.settings_dialog import open_settings_dialog  # not needed to start
        open_settings_dialog(self, AsyncSettingsService(self.settings_service), self.bridge.test_connection,
                             self._on_settings_saved)

    def _on_settings_saved(self, _settings: object) -> None:
        self.providerStatus.refresh()
        self.sidePanes.show_team(self.bridge.team_mode)
        self.statusBar().showMessage("Settings saved", 5000)

    # ----- state and housekeeping ---------------------------------------------------------

    def _update_actions(self) -> None:
        update_commands(self)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self.attached and not self.runs.request_close():
            event.ignore()
            return
        save_layout(self, self.splitter)
        if self.attached:
            self.store.close()  # its runs are free for the next launch at once
        event.accept()


"""MainWindow: topic in, progress list, review on request, streamed report out, saved as a file."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from pathlib import Path

import shiboken6
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from hitl_desktop import APP_NAME
from hitl_desktop.core import export
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import (
    MAX_TOPIC_CHARS,
    ProgressUpdate,
    Report,
    ResearchDelta,
    ReviewDecision,
    ReviewRequest,
    StepFailure,
    validate_topic,
)
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings import setup_needed
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.message_bar import MessageBar
from hitl_desktop.ui.widgets.report_actions import LAST_FOLDER_KEY, ReportActions
from hitl_desktop.ui.widgets.report_view import ReportView
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog
from hitl_desktop.ui.widgets.settings_dialog import SettingsDialog
from hitl_desktop.ui.widgets.setup_banner import SetupBanner
from hitl_desktop.ui.threads import run_on_worker_thread

log = logging.getLogger(__name__)

_UNFINISHED_NOTE = ("\n\n---\n\n*Draft: this report is unfinished. The run was stopped before the "
                    "model had written all of it.*\n")
_GEOMETRY = "mainWindow/geometry"
_SPLITTER = "mainWindow/splitter"


class MainWindow(QMainWindow):
    def __init__(self, bridge: WorkflowBridge | None = None, parent: QWidget | None = None, *,
                 settings: SettingsService | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mainWindow")
        self.setWindowTitle(APP_NAME)
        # The one holder of the keys: Settings, its Test Connection, the setup notice and runs.
        self.settings_service = settings or SettingsService(SecretStore())
        self.bridge = bridge or WorkflowBridge(settings=self.settings_service)
        self.bridge.setParent(self)
        self._report: Report | None = None
        self._report_saved = True
        self._review_dialog: ReviewDialog | None = None
        self._research_chars = 0
        self._close_allowed = False
        self._step_failure_shown = False
        self._reviewed_this_run = False  # from then on, stopping or closing asks first
        self._last_review: ReviewRequest | None = None
        self._ask_before_closing = True
        self._topic_ok = False
        self._key_lookups = 0  # the newest keychain lookup wins
        self._shutdown_task: asyncio.Task[None] | None = None
        self._file_task: asyncio.Task[None] | None = None  # report files being written
        self._after_write: Callable[[], None] | None = None  # Run or Close asked for meanwhile
        self._after_write_closes = False  # the pending action is Close: a later Run must not replace it
        self._confirmed_action: Callable[[], None] | None = None  # what confirmStopBox would do
        self._build_actions()
        self._build_ui()
        self._connect_bridge()
        self._restore_layout()
        self._update_topic_hint()
        self._update_actions()

    # ----- construction -------------------------------------------------------------------

    def _standard_edit_actions(self) -> list[QAction]:
        """Copy and Select All for whatever has the keyboard (report, topic, progress list).
        A focused text field handles the keys itself; the menu items reach it by mouse too."""
        self.copyAction = QAction("&Copy", self, objectName="copyAction")
        self.copyAction.setShortcut(QKeySequence.StandardKey.Copy)
        self.copyAction.triggered.connect(self._copy_from_focus)
        self.selectAllAction = QAction("Select &All", self, objectName="selectAllAction")
        self.selectAllAction.setShortcut(QKeySequence.StandardKey.SelectAll)
        self.selectAllAction.triggered.connect(self._select_all_in_focus)
        return [self.copyAction, self.selectAllAction]

    def _copy_from_focus(self) -> None:
        widget = self.focusWidget()
        if isinstance(widget, QListWidget):  # progress lines, as text
            lines = [item.text() for item in widget.selectedItems()]
            if lines:
                QApplication.clipboard().setText("\n".join(lines))
        elif hasattr(widget, "copy"):
            widget.copy()

    def _select_all_in_focus(self) -> None:
        widget = self.focusWidget()
        if hasattr(widget, "selectAll"):
            widget.selectAll()

    def _build_actions(self) -> None:
        self.runAction = QAction("&Run Research", self, objectName="runAction")
        self.runAction.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.runAction.triggered.connect(self.run_research)
        self.stopAction = QAction("&Stop", self, objectName="stopAction")
        self.stopAction.setShortcut(QKeySequence(Qt.Key.Key_Escape))
        self.stopAction.triggered.connect(lambda: self.stop_run())  # not Qt's `checked` as `ask`
        self.reviewAction = QAction("Re&view Research…", self, objectName="reviewAction")
        self.reviewAction.setShortcut(QKeySequence("Ctrl+R"))
        self.reviewAction.triggered.connect(self.open_review)
        self.retryAction = QAction("Re&try Failed Step", self, objectName="retryAction")
        self.retryAction.setShortcut(QKeySequence.StandardKey.Refresh)
        self.retryAction.setToolTip("Retry the research round or report that failed; the run goes on")
        self.retryAction.triggered.connect(self.retry_failed_step)
        self.saveReportAction = QAction("&Save Report…", self, objectName="saveReportAction")
        self.saveReportAction.setShortcut(QKeySequence.StandardKey.Save)
        self.saveReportAction.triggered.connect(lambda: self._ask_save_path())  # not `checked`
        quit_action = QAction("&Quit", self, objectName="quitAction")
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        self.settingsAction = QAction("Se&ttings…", self, objectName="settingsAction")
        self.settingsAction.setShortcuts(QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences)
                                         or [QKeySequence("Ctrl+,")])
        self.settingsAction.setMenuRole(QAction.MenuRole.PreferencesRole)
        self.settingsAction.triggered.connect(self.open_settings)
        about_action = QAction(f"&About {APP_NAME}", self, objectName="aboutAction")
        about_action.triggered.connect(self._show_about)

        self.reportActions = ReportActions(self, lambda: self._report, self.write_report_files,
                                           lambda error: self.messageBar.show_error(error.message, error.hint))
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction(self.saveReportAction)
        file_menu.addActions(self.reportActions.file_actions)
        file_menu.addSeparator()
        file_menu.addAction(self.settingsAction)
        file_menu.addSeparator()
        file_menu.addAction(quit_action)
        edit_menu = self.menuBar().addMenu("&Edit")
        edit_menu.addActions(self._standard_edit_actions())
        edit_menu.addSeparator()
        edit_menu.addActions(self.reportActions.edit_actions)
        run_menu = self.menuBar().addMenu("&Research")
        run_menu.addAction(self.runAction)
        run_menu.addAction(self.stopAction)
        run_menu.addAction(self.reviewAction)
        run_menu.addAction(self.retryAction)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction(about_action)

    def _build_ui(self) -> None:
        topic_label = QLabel("Research &topic:")
        self.topicInput = QPlainTextEdit(objectName="topicInput")
        self.topicInput.setPlaceholderText("What should the agent research? "
                                           "For example: the economics of tidal power in Europe")
        self.topicInput.setTabChangesFocus(True)
        line = self.topicInput.fontMetrics().lineSpacing()
        self.topicInput.setFixedHeight(line * 3 + 14)
        self.topicInput.textChanged.connect(self._update_topic_hint)
        self.topicInput.installEventFilter(self)
        topic_label.setBuddy(self.topicInput)
        self.topicHint = QLabel(objectName="topicHint")
        self.topicHint.setTextFormat(Qt.TextFormat.PlainText)

        self.runButton = QPushButton("Run", objectName="runButton")
        self.runButton.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaPlay))
        self.runButton.setToolTip("Start researching the topic (Ctrl+Enter)")
        self.runButton.setDefault(True)
        self.runButton.clicked.connect(self.runAction.trigger)
        self.stopButton = QPushButton("Stop", objectName="stopButton")
        self.stopButton.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MediaStop))
        self.stopButton.setToolTip("Cancel the run (Esc)")
        self.stopButton.clicked.connect(self.stopAction.trigger)
        buttons = QVBoxLayout()
        buttons.addWidget(self.runButton)
        buttons.addWidget(self.stopButton)
        buttons.addStretch(1)
        topic_row = QHBoxLayout()
        topic_row.addWidget(self.topicInput, 1)
        topic_row.addLayout(buttons)

        self.messageBar = MessageBar(self)
        self.setupBanner = SetupBanner(self)
        self.setupBanner.openSettings.connect(self.open_settings)
        self.reviewBanner = self._build_review_banner()

        self.progressList = QListWidget(objectName="progressList")
        # Several lines can be selected and copied (Edit > Copy), e.g. for a bug report.
        self.progressList.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.progressList.setAlternatingRowColors(True)
        self.progressList.setWordWrap(True)
        self.progressList.setAccessibleName("Progress")
        self.reportView = ReportView(self)
        self.reportView.setAccessibleName("Report")
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(_titled("Progress", self.progressList))
        self.splitter.addWidget(_titled("Report", self.reportView))
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setChildrenCollapsible(False)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(12, 10, 12, 6)
        layout.addWidget(topic_label)
        layout.addLayout(topic_row)
        layout.addWidget(self.topicHint)
        layout.addWidget(self.setupBanner)
        layout.addWidget(self.messageBar)
        layout.addWidget(self.reviewBanner)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)
        self.resize(1120, 760)
        self.setMinimumSize(760, 520)

        self.providerLabel = QLabel(objectName="providerLabel")
        self.statusBar().addPermanentWidget(self.providerLabel)
        self._show_provider_state()
        self.statusBar().showMessage("Ready")

    def _build_review_banner(self) -> QFrame:
        banner = QFrame(objectName="reviewBanner")
        banner.setStyleSheet("#reviewBanner { background: palette(alternate-base);"
                             " border: 1px solid palette(highlight); border-radius: 4px; }")
        icon = QLabel()
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation).pixmap(20, 20))
        self.reviewBannerText = QLabel()
        self.reviewPendingButton = QPushButton("Review Research…", objectName="reviewPendingButton")
        self.reviewPendingButton.setToolTip("Ctrl+R")
        self.reviewPendingButton.clicked.connect(self.reviewAction.trigger)
        row = QHBoxLayout(banner)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(icon)
        row.addWidget(self.reviewBannerText, 1)
        row.addWidget(self.reviewPendingButton)
        banner.hide()
        return banner

    def _connect_bridge(self) -> None:
        self.bridge.progress.connect(self._on_progress)
        self.bridge.researchDelta.connect(self._on_research_delta)
        self.bridge.reviewRequested.connect(self._on_review_requested)
        self.bridge.reportDelta.connect(self.reportView.append_delta)
        self.bridge.finished.connect(self._on_finished)
        self.bridge.stepFailed.connect(self._on_step_failed)
        self.bridge.failed.connect(self._on_failed)
        self.bridge.cancelled.connect(self._on_cancelled)
        self.bridge.runningChanged.connect(self._on_running_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # A text edit takes Ctrl+Enter as a line break before any window shortcut sees it.
        if (watched is self.topicInput and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
            self.runAction.trigger()
            return True
        return super().eventFilter(watched, event)

    # ----- public surface -----------------------------------------------------------------

    @property
    def report(self) -> Report | None:
        return self._report

    def run_research(self) -> None:
        if self.bridge.is_running:
            return
        self._unless_unsaved_report_kept(self._start_run)

    def stop_run(self, *, ask: bool = True) -> None:
        """Stop the run; once research has been reviewed, only after the user confirms."""
        if not self.bridge.is_running:
            return
        if ask:
            self._unless_reviewed_work_kept("Stop Run", self._stop_now)
        else:
            self._stop_now()

    def _stop_now(self) -> None:
        if self.bridge.is_running:
            self.statusBar().showMessage("Stopping…")
            self.bridge.stop()

    def close_without_asking(self) -> None:
        """Close at once, running no confirmation (SIGTERM at logout: nobody is there to answer)."""
        self._ask_before_closing = False
        self.close()

    def _unless_reviewed_work_kept(self, verb: str, proceed: Callable[[], None]) -> None:
        """Run `proceed` now, or after the user confirms throwing away reviewed research."""
        if not (self._reviewed_this_run and self.bridge.is_running and self._ask_before_closing):
            proceed()
            return
        if self.findChild(QMessageBox, "confirmStopBox") is not None:
            return  # already asking
        box = QMessageBox(QMessageBox.Icon.Warning, verb,
                          "Stop this run? The research you have reviewed so far, and any report "
                          "being written, will be lost.", QMessageBox.StandardButton.NoButton, self)
        box.setObjectName("confirmStopBox")
        stop = box.addButton(verb, QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep Running", QMessageBox.ButtonRole.RejectRole)
        # Keep is the default: Esc (Stop) then Enter must not throw reviewed work away.
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)
        self._confirmed_action = proceed

        def answered(_result: int) -> None:
            self._confirmed_action = None
            if box.clickedButton() is stop:
                proceed()

        box.finished.connect(answered)
        box.finished.connect(box.deleteLater)
        box.open()

    def open_review(self) -> None:
        if self._review_dialog is not None and self.bridge.pending_review is not None:
            self.reviewBanner.hide()
            self._review_dialog.open()
            self._review_dialog.raise_()
            self._review_dialog.activateWindow()

    def save_report(self, path: Path | str) -> Path:
        """Save the finished report to `path`; the suffix picks the format. Raises UserFacingError."""
        if self._report is None:
            raise UserFacingError("There is no finished report to save yet.",
                                  "Run the research and approve it first.", ErrorKind.BAD_INPUT)
        saved = export.save_report(path, self._report)
        self._note_saved([saved], self._report)
        return saved

    def write_report_files(self, description: str, write: Callable[[], list[Path]], *,
                           then: Callable[[list[Path]], None] | None = None,
                           failed: Callable[[UserFacingError], None] | None = None) -> None:
        """Run `write` (it saves the current report's files and returns their paths) on a worker
        thread: a long export must not freeze the window. One write at a time; closing the
        window waits for it. Success is noted (then `then`), a failure shown (then `failed`)."""
        if self._file_task is not None:  # Save and Export All are disabled; a script may still ask
            busy = UserFacingError("The report is still being saved.", "Try again when that is done.",
                                   ErrorKind.BAD_INPUT)
            self.statusBar().showMessage(f"{busy.message} {busy.hint}", 5000)
            if failed is not None:
                failed(busy)
            return
        report = self._report
        self.statusBar().showMessage(description)
        QApplication.setOverrideCursor(Qt.CursorShape.BusyCursor)
        self._file_task = asyncio.get_running_loop().create_task(
            self._write_files(report, write, then, failed), name="write-report-files")
        self._update_actions()

    async def _write_files(self, report: Report | None, write: Callable[[], list[Path]],
                           then: Callable[[list[Path]], None] | None,
                           failed: Callable[[UserFacingError], None] | None) -> None:
        error: UserFacingError | None = None
        paths: list[Path] = []
        try:
            paths = await run_on_worker_thread(write, name="report-writer")
        except UserFacingError as exc:
            error = exc
        except Exception as exc:  # noqa: BLE001 (a bug in an exporter must reach the user, not vanish)
            log.exception("Writing the report failed")
            error = UserFacingError(f"Saving failed unexpectedly ({type(exc).__name__}).",
                                    "The report is still here: try another format or folder.",
                                    ErrorKind.IO)
        finally:
            QApplication.restoreOverrideCursor()
            self._file_task = None
        if not shiboken6.isValid(self):
            return
        self.statusBar().clearMessage()
        self._update_actions()
        if error is not None:
            self.messageBar.show_error(error.message, error.hint)
            if failed is not None:
                failed(error)
        else:
            self._note_saved(paths, report)
            if then is not None:
                then(paths)
        self._run_after_write()

    def _run_after_write(self) -> None:
        pending, self._after_write = self._after_write, None
        self._after_write_closes = False
        if pending is not None and self._shutdown_task is None and not self._close_allowed:
            QTimer.singleShot(0, pending)  # after this write's own continuation has run

    @property
    def is_writing_files(self) -> bool:
        return self._file_task is not None

    def _note_saved(self, paths: list[Path], report: Report | None) -> None:
        if report is self._report:  # not a newer report that arrived while this one was written
            self._report_saved = True
        for path in paths:
            self._add_progress(ProgressUpdate(f"Saved the report to {path}"))
        names = ", ".join(path.name for path in paths)
        self.statusBar().showMessage(f"Saved {names}", 8000)

    # ----- running ------------------------------------------------------------------------

    def _start_run(self) -> None:
        if self.bridge.is_running:  # started meanwhile (Run queued behind a save or a question)
            return
        try:
            self.bridge.start(self.topicInput.toPlainText())
        except UserFacingError as error:
            self.messageBar.show_error(error.message, error.hint)
            return
        self.messageBar.hide()
        self.progressList.clear()
        self.reportView.clear_report()
        self._reviewed_this_run = False
        self._last_review = None
        self._report = None
        self._report_saved = True
        self._research_chars = 0
        self._show_provider_state()

    def _on_running_changed(self, running: bool) -> None:
        if not running:
            self._discard_review()
            self._clear_step_failure()  # its Retry would act on a run that is gone
            self._settle_stop_question()
        self._update_actions()

    def _settle_stop_question(self) -> None:
        """The run ended while "Stop this run?" was up: nothing is left to lose, so the question
        goes, and what was asked for goes ahead (Stop: nothing left; Quit: on to quitting)."""
        box = self.findChild(QMessageBox, "confirmStopBox")
        proceed, self._confirmed_action = self._confirmed_action, None
        if box is None or proceed is None:
            return
        box.done(QMessageBox.StandardButton.Cancel)
        QTimer.singleShot(0, proceed)

    def _on_progress(self, update: ProgressUpdate) -> None:
        self._add_progress(update)
        self.statusBar().showMessage(update.message)

    def _on_research_delta(self, delta: ResearchDelta) -> None:
        self._research_chars += len(delta.text)
        self.statusBar().showMessage(
            f"Researching round {delta.round}… {self._research_chars:,} characters received")

    def _on_review_requested(self, request: ReviewRequest) -> None:
        self._reviewed_this_run = True
        self._last_review = request
        self._research_chars = 0
        self._discard_review()
        dialog = ReviewDialog(request, self)
        dialog.decided.connect(self._on_decided)
        dialog.finished.connect(self._on_review_closed)
        self._review_dialog = dialog
        self.statusBar().showMessage(f"Research round {request.round} is waiting for your review")
        self.open_review()

    def _on_review_closed(self, _result: int) -> None:
        request = self.bridge.pending_review
        if request is None or self._review_dialog is None:
            return
        self.reviewBannerText.setText(
            f"Research round {request.round} is waiting for your review. The run stays paused until you decide.")
        self.reviewBanner.show()
        self._update_actions()
        # Back in the window, the keyboard lands where the paused run goes on (Enter reopens).
        self.reviewPendingButton.setFocus(Qt.FocusReason.OtherFocusReason)

    def _on_decided(self, decision: ReviewDecision) -> None:
        self.reviewBanner.hide()
        if not self.bridge.submit_decision(decision):
            return
        if self._review_dialog is not None:
            self._review_dialog.deleteLater()
            self._review_dialog = None
        self._update_actions()

    def _on_finished(self, report: Report) -> None:
        self._report = report
        self._report_saved = False
        self.reportView.show_report(report.markdown)
        self.statusBar().showMessage("Report ready. Save it with Ctrl+S.")

    def _on_step_failed(self, failure: StepFailure) -> None:
        self.reportView.flush_now()
        error = failure.error
        self._mark_last_progress_as_error()
        self.messageBar.show_error(
            error.message, f"{error.hint} Retry continues the run where it stopped; Stop ends it.".strip(),
            self._settings_action_for(error) + [("Retr&y", self.retry_failed_step)])
        self._step_failure_shown = True
        self._update_actions()
        self.statusBar().showMessage(f"The {failure.stage} failed; the run is waiting for you")

    def retry_failed_step(self) -> None:
        """Retry the model call the run is paused on (also F5 and the Research menu)."""
        failure = self.bridge.pending_failure
        if failure is None or not self.bridge.retry():
            return
        self._clear_step_failure()
        if failure.stage == "report":
            self.reportView.clear_report()
        self._update_actions()

    def _clear_step_failure(self) -> None:
        if self._step_failure_shown:
            self.messageBar.hide()
            self._step_failure_shown = False

    def _on_failed(self, error: UserFacingError) -> None:
        self._step_failure_shown = False
        self.reportView.flush_now()
        self._keep_unfinished_report()
        self._add_progress(ProgressUpdate(f"Failed: {error.message}"), error=True)
        self.messageBar.show_error(error.message, error.hint,
                                   self._settings_action_for(error) or [("Run &Again", self.run_research)])
        self.statusBar().showMessage("The run failed")

    def _settings_action_for(self, error: UserFacingError) -> list[tuple[str, Callable[[], None]]]:
        """Errors fixed in Settings (a refused key, a missing model, a wrong address, too short a
        timeout) offer to open it. Its own mnemonic: the setup banner's button may show too."""
        if error.kind in (ErrorKind.AUTH, ErrorKind.CONFIG, ErrorKind.MODEL_NOT_FOUND,
                          ErrorKind.NETWORK, ErrorKind.TIMEOUT):
            return [("Open Settin&gs…", self.open_settings)]
        return []

    # ----- settings -----------------------------------------------------------------------

    def open_settings(self) -> None:
        existing = self.findChild(SettingsDialog, "settingsDialog")
        if existing is not None and existing.isVisible():
            existing.raise_()
            existing.activateWindow()
            return
        dialog = SettingsDialog(AsyncSettingsService(self.settings_service),
                                tester=self.bridge.test_connection, parent=self)
        dialog.saved.connect(self._on_settings_saved)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _on_settings_saved(self, _settings: object) -> None:
        self._show_provider_state()
        self.statusBar().showMessage("Settings saved", 5000)

    def _show_provider_state(self) -> None:
        """The provider in the status bar, and the one-sentence setup notice when something is missing.

        Finding the key may wait on the OS keychain (an unlock prompt), so once a loop runs it is
        looked up on a worker thread; the newest lookup wins.
        """
        self.providerLabel.setText(self.settings_service.current(with_key=False).description)
        self._key_lookups += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self.setupBanner.show_need(setup_needed(self.settings_service.current()))
            return
        serial = self._key_lookups

        def look_up() -> None:  # on a daemon thread: never holds up quitting
            try:
                result: object = self.settings_service.current()
            except Exception as exc:  # reported on the loop thread
                result = exc
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._on_key_looked_up, result, serial)

        threading.Thread(target=look_up, name="key-lookup", daemon=True).start()

    def _on_key_looked_up(self, result: object, serial: int) -> None:
        if serial != self._key_lookups or not shiboken6.isValid(self):
            return
        if isinstance(result, Exception):
            log.warning("Looking up the API key failed: %s", type(result).__name__)
            return
        self.setupBanner.show_need(setup_needed(result))  # type: ignore[arg-type]

    def _on_cancelled(self) -> None:
        self.reportView.flush_now()
        self.statusBar().showMessage("Run stopped")
        self._keep_unfinished_report()

    def _keep_unfinished_report(self) -> None:
        """A report stopped mid-way stays usable as a marked draft: save, copy or print it."""
        partial = self.reportView.markdown().strip()
        if self._report is not None or not partial or self._last_review is None:
            return
        review = self._last_review
        self._report = Report(topic=review.topic, rounds=review.round, model=self.providerLabel.text(),
                              markdown=partial + _UNFINISHED_NOTE)
        self._report_saved = False
        self.reportView.show_report(self._report.markdown)
        self._add_progress(ProgressUpdate("The unfinished report is kept as a draft: save or copy it "
                                          "like any report"))
        self._update_actions()

    def _discard_review(self) -> None:
        self.reviewBanner.hide()
        if self._review_dialog is not None:
            self._review_dialog.finished.disconnect(self._on_review_closed)
            self._review_dialog.close()
            self._review_dialog.deleteLater()
            self._review_dialog = None

    # ----- saving -------------------------------------------------------------------------

    def _ask_save_path(self, *, then: Callable[[], None] | None = None) -> None:
        if self._report is None:
            return
        settings = QSettings()
        folder = settings.value(LAST_FOLDER_KEY, str(Path.home()))
        name = export.suggested_filename(self._report.topic, self._report.created_at.astimezone())
        dialog = QFileDialog(self, "Save Report", str(Path(folder) / name))
        dialog.setObjectName("saveReportDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setNameFilters(export.name_filters())
        dialog.setDefaultSuffix("md")
        # The suffix decides the format: picking a filter renames the file to match.
        dialog.filterSelected.connect(lambda name_filter: _match_suffix(dialog, name_filter))
        dialog.fileSelected.connect(lambda path: self._save_chosen(path, then))
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()

    def _save_chosen(self, path: str, then: Callable[[], None] | None) -> None:
        report = self._report
        if report is None:
            return

        def saved(paths: list[Path]) -> None:
            QSettings().setValue(LAST_FOLDER_KEY, str(paths[0].parent))
            if then is not None:
                then()

        self.write_report_files(f"Saving {Path(path).name}…", lambda: [export.save_report(path, report)],
                                then=saved)

    def _unless_unsaved_report_kept(self, proceed: Callable[[], None], *, closing: bool = False) -> None:
        """Run `proceed` now, or after the user has saved or discarded an unsaved report."""
        if self._report is None or self._report_saved:
            proceed()
            return
        if self._file_task is not None:  # being saved: ask only if that save fails
            self.statusBar().showMessage("Finishing the save…")
            # One pending action, the newest, but Close wins: pressing Run twice must not start two
            # runs, and Run after Quit must not keep the app open.
            if closing or not self._after_write_closes:
                self._after_write = lambda: self._unless_unsaved_report_kept(proceed, closing=closing)
                self._after_write_closes = closing
            return
        if self.findChild(QMessageBox, "unsavedReportBox") is not None:
            return  # already asking; a second box would run `proceed` twice
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved Report",
                          "The last report has not been saved. Save it first?",
                          QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                          | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("unsavedReportBox")
        box.setDefaultButton(QMessageBox.StandardButton.Save)

        def answered(button: int) -> None:
            if button == QMessageBox.StandardButton.Save:
                self._ask_save_path(then=proceed)
            elif button == QMessageBox.StandardButton.Discard:
                self._report_saved = True
                proceed()

        box.finished.connect(answered)
        box.finished.connect(box.deleteLater)
        box.open()

    # ----- state and housekeeping ---------------------------------------------------------

    def _update_topic_hint(self) -> None:
        try:
            topic = validate_topic(self.topicInput.toPlainText())
        except UserFacingError as error:
            self.topicHint.setText(f"{error.message} {error.hint}".strip())
            # Red only once something was typed: an empty box is not a mistake yet.
            typed = bool(self.topicInput.toPlainText().strip())
            self.topicHint.setStyleSheet(f"color: {self._error_text_color()};" if typed else "")
            self._topic_ok = False
        else:
            self.topicHint.setText(f"{len(topic):,} / {MAX_TOPIC_CHARS:,} characters · "
                                   "Ctrl+Enter runs")
            self.topicHint.setStyleSheet("")
            self._topic_ok = True
        self._update_actions()

    def _error_text_color(self) -> str:
        dark = self.palette().color(QPalette.ColorRole.Window).lightness() < 128
        return "#ff8a80" if dark else "#b3261e"  # both readable on their theme's background

    def _update_actions(self) -> None:
        running = self.bridge.is_running
        self.runAction.setEnabled(not running and self._topic_ok)
        self.runButton.setEnabled(self.runAction.isEnabled())
        self.stopAction.setEnabled(running)
        self.stopButton.setEnabled(running)
        self.reviewAction.setEnabled(running and self._review_dialog is not None)
        self.retryAction.setEnabled(running and self.bridge.pending_failure is not None)
        self.saveReportAction.setEnabled(self._report is not None and self._file_task is None)
        self.reportActions.update_enabled(writing=self._file_task is not None)
        self.topicInput.setReadOnly(running)

    def _mark_last_progress_as_error(self) -> None:
        item = self.progressList.item(self.progressList.count() - 1)
        if item is not None:
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))

    def _add_progress(self, update: ProgressUpdate, *, error: bool = False) -> None:
        stamp = update.at.astimezone().strftime("%H:%M:%S")
        item = QListWidgetItem(f"{stamp}   {update.message}")
        item.setToolTip(update.at.astimezone().isoformat(timespec="seconds"))
        if error:
            item.setIcon(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning))
        self.progressList.addItem(item)
        self.progressList.scrollToBottom()

    def _show_about(self) -> None:
        from hitl_desktop import __version__

        box = QMessageBox(QMessageBox.Icon.Information, f"About {APP_NAME}",
                          f"{APP_NAME} {__version__}\n\nAn LLM agent researches, you review, "
                          "it writes the report.", QMessageBox.StandardButton.Ok, self)
        box.finished.connect(box.deleteLater)
        box.open()

    def _restore_layout(self) -> None:
        settings = QSettings()
        geometry = settings.value(_GEOMETRY)
        if geometry is not None:
            self.restoreGeometry(geometry)
        splitter = settings.value(_SPLITTER)
        if splitter is not None:
            self.splitter.restoreState(splitter)
        else:
            self.splitter.setSizes([360, 740])

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        if self._close_allowed:
            settings = QSettings()
            settings.setValue(_GEOMETRY, self.saveGeometry())
            settings.setValue(_SPLITTER, self.splitter.saveState())
            event.accept()
            return
        event.ignore()
        if not self._ask_before_closing:
            self._close_after_shutdown()
            return
        self._unless_reviewed_work_kept(
            "Stop and Quit", lambda: self._unless_unsaved_report_kept(self._close_after_shutdown, closing=True))

    def _close_after_shutdown(self) -> None:
        if self._shutdown_task is not None:
            return
        if not self.bridge.is_running and self._file_task is None:
            self._close_allowed = True
            # Called from closeEvent, where Qt ignores a nested close(): close on the next turn.
            QTimer.singleShot(0, self.close)
            return
        self.statusBar().showMessage("Stopping the run before closing…" if self.bridge.is_running
                                     else "Finishing the save before closing…")

        async def shutdown_then_close() -> None:
            if self._file_task is not None:  # a report file is half written: finish it first
                await asyncio.wait([self._file_task])
            await self.bridge.shutdown()
            self._close_allowed = True
            if shiboken6.isValid(self):  # it may have been deleted by its owner meanwhile
                self.close()

        self._shutdown_task = asyncio.get_running_loop().create_task(shutdown_then_close())


def _match_suffix(dialog: QFileDialog, name_filter: str) -> None:
    suffix = export.suffix_for_filter(name_filter)
    dialog.setDefaultSuffix(suffix[1:])
    chosen = dialog.selectedFiles()
    if chosen:
        dialog.selectFile(Path(chosen[0]).with_suffix(suffix).name)


def _titled(title: str, widget: QWidget) -> QWidget:
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 6, 0, 0)
    label = QLabel(f"<b>{title}</b>")
    label.setBuddy(widget)
    layout.addWidget(label)
    layout.addWidget(widget, 1)
    return box

"""Command-line automation of the real window: run a topic, approve reviews, save, quit.

    hitl-desktop --topic "…" --auto-approve --save-report report.md --quit-when-done
    hitl-desktop --approve-pending --save-report report.md --quit-when-done   # after a restart

Used by the frozen smoke test and by scripts. It drives MainWindow only through its public
surface (topicInput, run_research, the bridge's signals, each run's review dialog and its
approveButton, write_report_files, as the Save dialog does), so an automated run exercises what a person's run does.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from hitl_desktop.core import export
from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.models import Report, ReviewRequest, StepFailure
from hitl_desktop.ui.widgets.main_window import MainWindow
from hitl_desktop.ui.window_state import include_provenance

log = logging.getLogger(__name__)

# A full run against a real model may take many minutes; a hung run must still end.
DEFAULT_TIMEOUT_S = 30 * 60


class AutomatedRun(QObject):
    """Drives its runs to the end; `done(exit_code)` fires then (0 = every run produced its
    report, saved if asked). Its runs: the topic's new run, and with `approve_pending` the runs
    the window took up again at start because they were waiting for a review."""

    done = Signal(int)

    def __init__(self, window: MainWindow, topic: str | None, *, auto_approve: bool,
                 save_to: Path | None, quit_when_done: bool, approve_pending: bool = False,
                 timeout_s: float = DEFAULT_TIMEOUT_S) -> None:
        super().__init__(window)
        self._window = window
        self._topic = topic
        self._auto_approve = auto_approve or approve_pending
        self._approve_pending = approve_pending
        self._save_to = save_to
        self._quit_when_done = quit_when_done
        self._timeout_s = timeout_s
        self._runs: set[str] = set()  # the runs driven and not yet ended
        self.exit_code: int | None = None
        bridge = window.bridge
        # Connected after MainWindow's own slots, so the window has reacted when these run.
        bridge.reviewRequested.connect(self._on_review_requested)
        bridge.finished.connect(self._on_finished)
        bridge.failed.connect(self._on_failed)
        bridge.stepFailed.connect(self._on_step_failed)
        bridge.cancelled.connect(lambda run_id, _draft: self._mine(run_id) and self._finish(
            1, "The run was stopped before it finished."))

    def start(self) -> None:
        QTimer.singleShot(int(self._timeout_s * 1000), self._on_timeout)
        if self._approve_pending:  # taken up by the window as it opened
            self._runs.update(self._window.bridge.run_ids)
            for run_id in self._runs:
                request = self._window.bridge.pending_review(run_id)
                if request is not None:
                    self._on_review_requested(run_id, request)
        if self._topic:
            self._window.topicInput.setPlainText(self._topic)
            self._window.run_research()
            started = self._window.shown_run
            if not self._window.bridge.is_active(started):
                self._finish(2, f"The run did not start: {self._window.messageBar.message()}")
                return
            self._runs.add(started)
        if not self._runs:
            self._finish(2, "No review was waiting to approve.")

    def _mine(self, run_id: str) -> bool:
        return run_id in self._runs

    def _on_review_requested(self, run_id: str, request: ReviewRequest) -> None:
        if self._auto_approve and self._mine(run_id):
            # Let the window open its dialog first (it does so in its own slot, but the dialog
            # shows on the next turn of the event loop).
            QTimer.singleShot(0, lambda: self._approve(run_id, request.round))

    def _approve(self, run_id: str, round_number: int) -> None:
        dialog = self._window.reviewBanner.dialogs.get(run_id)
        if dialog is None or dialog.request.round != round_number:
            if self._window.bridge.pending_review(run_id) is None:
                return  # decided already (the dialog and the restored request both asked)
            self._finish(1, f"The review dialog for round {round_number} did not open.")
            return
        if dialog.decision_sent:
            return
        _print(f"Approving research round {round_number}")
        dialog.approveButton.click()

    def _on_finished(self, run_id: str, report: Report) -> None:
        if not self._mine(run_id):
            return
        if self._save_to is None:
            self._run_done(run_id, f"Report finished ({len(report.markdown):,} characters).")
            return
        target = self._save_to
        provenance = include_provenance()  # as the person last chose in the window
        # The same background write the Save dialog starts, so closing waits for it as it would.
        self._window.write_report_files(
            f"Saving {target.name}…",
            lambda: [export.save_report(target, report, provenance=provenance)],
            then=lambda paths: self._run_done(run_id, f"Saved the report to {paths[0]}"),
            failed=lambda error: self._finish(1, f"Could not save the report: {error}"))

    def _run_done(self, run_id: str, message: str) -> None:
        self._runs.discard(run_id)
        if self._runs:
            _print(message)
        else:
            self._finish(0, message)

    def _on_failed(self, run_id: str, error: UserFacingError) -> None:
        if self._mine(run_id):
            self._finish(1, f"The run failed: {error}")

    def _on_step_failed(self, run_id: str, failure: StepFailure) -> None:
        if not self._mine(run_id):
            return
        # A person would choose Retry or Stop; unattended, the (already retried) failure is final.
        self._finish(1, f"The {failure.stage} failed: {failure.error}")
        self._window.bridge.stop(run_id)

    def _on_timeout(self) -> None:
        if self.exit_code is None:
            for run_id in list(self._runs):
                self._window.bridge.stop(run_id)
            self._finish(1, f"The run did not finish within {self._timeout_s:.0f} s.")

    def _finish(self, code: int, message: str) -> None:
        if self.exit_code is not None:
            return
        self.exit_code = code
        (_print if code == 0 else _print_error)(message)
        log.info("Automated run ended with %d: %s", code, message)
        self.done.emit(code)
        if self._quit_when_done:
            QTimer.singleShot(0, self._close_window)

    def _close_window(self) -> None:
        # Unattended: nobody can answer "save first?" or "stop the run?"; the outcome is reported.
        self._window.close_without_asking()


def _print(text: str) -> None:
    if sys.stdout is not None:  # a windowed Windows build has no console
        print(text, flush=True)


def _print_error(text: str) -> None:
    if sys.stderr is not None:
        print(text, file=sys.stderr, flush=True)

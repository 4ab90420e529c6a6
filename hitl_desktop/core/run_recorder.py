"""RunRecorder: writes one run into the run store as it happens, so nothing a person did is lost.

The session tells it what happened; it turns that into store writes. A paused run is saved with
its workflow context and what it waits on in one transaction, so it can be resumed after quit,
logout or a crash. A store that cannot be written (read-only, owned by another instance) never
stops a run: the failure is logged once and the run goes on unrecorded.
"""

from __future__ import annotations

import logging
from typing import Any

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.models import ProgressUpdate, Report, ReviewDecision, ReviewRequest, StepFailure
from hitl_desktop.core.store import PendingKind, RunStatus, RunStore, request_to_json

log = logging.getLogger(__name__)


class RunRecorder:
    def __init__(self, store: RunStore, run_id: str | None = None) -> None:
        self._store = store
        self.run_id = run_id  # set by `started`, or given to record a resumed run
        self._broken = False

    def started(self, topic: str, model: str = "") -> None:
        """A new run is recorded; a recorder given a run id (a run taken up again) records into it."""
        if self.run_id is None:
            self._write(lambda: setattr(self, "run_id", self._store.create_run(topic, model)))

    def progress(self, update: ProgressUpdate) -> None:
        self._write(lambda: self._store.add_progress(self._id, update.message, update.at))

    def review_ready(self, request: ReviewRequest, context: dict[str, Any]) -> None:
        def write() -> None:
            self._store.add_round(self._id, request.round, request.notes, request.citations)
            self._store.save_pending(self._id, PendingKind.REVIEW, request_to_json(request), context)
        self._write(write)

    def failure(self, failure: StepFailure, context: dict[str, Any]) -> None:
        self._write(lambda: self._store.save_pending(self._id, PendingKind.RETRY, request_to_json(failure),
                                                     context))

    def draft(self, round_number: int, edited_notes: str, feedback: str) -> None:
        self._write(lambda: self._store.save_draft(self._id, round_number, edited_notes, feedback))

    def decided(self, decision: ReviewDecision) -> None:
        self._write(lambda: self._store.record_decision(self._id, decision, decision.reviewer))

    def retried(self) -> None:
        self._write(lambda: self._store.clear_pending(self._id))

    def finished(self, report: Report) -> None:
        self._write(lambda: self._store.save_report(self._id, report.markdown, final=True, model=report.model))

    def stopped(self, draft: Report | None) -> None:
        def write() -> None:
            if draft is not None:
                self._store.save_report(self._id, draft.markdown, final=False, model=draft.model)
            self._store.set_status(self._id, RunStatus.STOPPED)
        self._write(write)

    def failed(self) -> None:
        self._write(lambda: self._store.set_status(self._id, RunStatus.FAILED))

    def kept(self, draft: Report | None, *, paused: bool) -> None:
        """The app is quitting with this run going: a paused run keeps waiting as it is; one caught
        mid-step is marked interrupted, keeping what it had written, to resume from its last pause."""
        if paused:
            return

        def write() -> None:
            if draft is not None:
                self._store.save_report(self._id, draft.markdown, final=False, model=draft.model)
            self._store.set_status(self._id, RunStatus.INTERRUPTED)
        self._write(write)

    @property
    def _id(self) -> str:
        if self.run_id is None:
            raise UserFacingError("The run was not recorded.")
        return self.run_id

    def _write(self, write: Any) -> None:
        if self._broken:
            return
        try:
            write()
        except UserFacingError as error:
            # Logged once: the run goes on, unrecorded (a read-only store, another instance's run).
            self._broken = True
            log.warning("The run is no longer recorded in the history: %s %s", error.message, error.hint)

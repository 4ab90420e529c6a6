"""ResearchSession drives one workflow run without any Qt.

It turns workflow events into plain updates (`hitl_desktop.core.models`) for whoever listens, and
feeds the reviewer's answers back into the paused workflow through an asyncio.Queue: a
ReviewDecision for a research round, a RetryDecision for a failed model call. When the run is
stopped, what it had written of the report is kept as a draft (`draft`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hitl_desktop.core.citations import PassageSearch
from hitl_desktop.core.provenance import ProvenanceRecorder
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import (
    ProgressUpdate,
    Report,
    RetryDecision,
    ReviewDecision,
    ReviewRequest,
    RunUpdate,
    StepFailure,
)
from hitl_desktop.core.providers.base import ChatModelSource
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.run_state import RunState

if TYPE_CHECKING:
    from workflows.handler import WorkflowHandler

    from hitl_desktop.core.run_recorder import RunRecorder

log = logging.getLogger(__name__)


class ResearchSession:
    def __init__(self, model_source: ChatModelSource, sources: PassageSearch | None = None,
                 recorder: RunRecorder | None = None, provenance: ProvenanceRecorder | None = None) -> None:
        self._model_source = model_source
        self._sources = sources
        self._recorder = recorder  # writes the run into the run store as it happens
        self._provenance = provenance or ProvenanceRecorder()  # how the report was made
        self._keeping = False
        self._state = RunState()

    @property
    def pending_review(self) -> ReviewRequest | None:
        return self._state.pending

    @property
    def pending_failure(self) -> StepFailure | None:
        return self._state.failure

    @property
    def draft(self) -> Report | None:
        """The report as far as it was written, marked unfinished (None before any was written)."""
        draft = self._state.draft()
        return self._provenance.attach(draft) if draft is not None else None

    def submit_retry(self, answer: RetryDecision) -> bool:
        """Answer the failure the run is waiting on: retry the failed call, or give up."""
        if self._state.take_retry(answer) is None:
            return False
        if answer.retry and self._recorder is not None:
            self._recorder.retried()
        return True

    def submit_decision(self, decision: ReviewDecision) -> bool:
        """Queue the decision for the round under review; a second decision for it is ignored."""
        taken = self._state.take_decision(decision)
        if taken is None:
            log.debug("Ignoring a decision for round %s: no such review is open", decision.round)
            return False
        request, decision = taken
        self._provenance.record_decision(request, decision)
        if self._recorder is not None:
            self._recorder.decided(decision)
        return True

    def keep_for_later(self) -> None:
        """The app is quitting: when the run is cancelled now, record it as kept (waiting where it
        paused, or interrupted mid-step), not as stopped."""
        self._keeping = True

    def save_draft(self, edited_notes: str, feedback: str) -> None:
        """The reviewer's unsent answer to the open round, kept so a crash loses nothing."""
        if self._state.pending is not None and self._recorder is not None:
            self._recorder.draft(self._state.pending.round, edited_notes, feedback)

    async def run(self, topic: str, emit: Callable[[RunUpdate], None]) -> Report:
        from hitl_desktop.core.workflow.research import ResearchWorkflow

        if self._recorder is not None:
            self._recorder.started(topic)
        return await self._drive(ResearchWorkflow(self._model_source, self._sources).run(topic=topic), emit)

    async def resume(self, waiting_on: ReviewRequest | StepFailure, context: dict[str, Any],
                     emit: Callable[[RunUpdate], None]) -> Report:
        """Go on with a run saved while it waited (after a restart): the workflow comes back from
        its context with no step re-run, and what it waits on is shown again (a restored run
        does not say it again itself)."""
        from workflows import Context

        from hitl_desktop.core.workflow.research import ResearchWorkflow

        workflow = ResearchWorkflow(self._model_source, self._sources)
        handler = workflow.run(ctx=Context.from_dict(workflow, context))
        self._state.follow(waiting_on)
        emit(waiting_on)
        return await self._drive(handler, emit)

    async def _drive(self, handler: WorkflowHandler, emit: Callable[[RunUpdate], None]) -> Report:
        forwarder = asyncio.create_task(self._forward_decisions(handler), name="review-decisions")
        recorder = self._recorder
        try:
            async with contextlib.aclosing(handler.stream_events()) as events:
                async for event in events:
                    update = self._to_update(event)
                    if update is None:
                        continue
                    if recorder is not None:
                        self._record(recorder, update, handler)
                    emit(update)
            result = await handler
        except BaseException as exc:
            paused = self._state.paused()
            await _stop_workflow(handler)
            if recorder is not None:
                if isinstance(exc, asyncio.CancelledError):
                    recorder.kept(self.draft, paused=paused) if self._keeping else recorder.stopped(self.draft)
                else:
                    recorder.failed()
            if isinstance(exc, (UserFacingError, asyncio.CancelledError)):
                raise
            if isinstance(exc, Exception):
                log.exception("The research workflow failed")
                raise UserFacingError(f"The run failed unexpectedly: {redact(str(exc)) or type(exc).__name__}.",
                                      "Try again; if it keeps failing, see the log file.",
                                      ErrorKind.INTERNAL) from exc
            raise
        finally:
            self._state.resumed()
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarder
        # A key pasted into the topic must not reach the dialog, the report or a file name.
        report = self._provenance.attach(Report(topic=redact(result.topic), markdown=result.report,
                                                rounds=result.rounds, model=result.model))
        if recorder is not None:
            recorder.finished(report)
        return report

    @staticmethod
    def _record(recorder: RunRecorder, update: RunUpdate, handler: WorkflowHandler) -> None:
        if isinstance(update, ProgressUpdate):
            recorder.progress(update)
        elif isinstance(update, ReviewRequest):
            # The workflow's whole state at the pause, saved with the request: enough to resume.
            recorder.review_ready(update, handler.ctx.to_dict())
        elif isinstance(update, StepFailure):
            recorder.failure(update, handler.ctx.to_dict())

    def _to_update(self, event: Any) -> RunUpdate | None:
        from hitl_desktop.core.workflow import events as wf
        from hitl_desktop.core.workflow.updates import update_for

        if isinstance(event, wf.ReportStartedEvent):
            self._state.report_model = event.model
            return None
        update = update_for(event, previous_notes=self._state.sent_back)
        self._state.follow(update)
        return update

    async def _forward_decisions(self, handler: WorkflowHandler) -> None:
        from hitl_desktop.core.workflow.events import RetryDecisionEvent
        from hitl_desktop.core.workflow.updates import decision_event

        while True:
            answer = await self._state.answers.get()
            if isinstance(answer, RetryDecision):
                handler.ctx.send_event(RetryDecisionEvent(retry=answer.retry, failure_id=answer.failure_id,
                                                          reviewer=answer.reviewer))
            else:
                handler.ctx.send_event(decision_event(answer))


async def _stop_workflow(handler: WorkflowHandler) -> None:
    if handler.is_done():
        return
    # Shielded: this runs while our own task is being cancelled, and must still finish.
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.shield(handler.cancel_run(timeout=5.0))

"""ResearchSession drives one workflow run without any Qt.

It turns workflow events into plain updates (`hitl_desktop.core.models`) for whoever listens, and feeds
the reviewer's decisions back into the paused workflow through an asyncio.Queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import (
    ProgressUpdate,
    Report,
    ReportDelta,
    ResearchDelta,
    ReviewDecision,
    ReviewRequest,
    RunUpdate,
    StepFailure,
)
from hitl_desktop.core.providers.base import ChatModel
from hitl_desktop.core.redaction import redact

if TYPE_CHECKING:
    from workflows.handler import WorkflowHandler

log = logging.getLogger(__name__)


class ResearchSession:
    def __init__(self, model_source: Callable[[], ChatModel]) -> None:
        self._model_source = model_source
        self._decisions: asyncio.Queue[ReviewDecision | bool] = asyncio.Queue()
        self._pending: ReviewRequest | None = None
        self._failure: StepFailure | None = None

    @property
    def pending_review(self) -> ReviewRequest | None:
        return self._pending

    @property
    def pending_failure(self) -> StepFailure | None:
        return self._failure

    def submit_retry(self, retry: bool) -> bool:
        """Answer the failure the run is waiting on: retry the failed call, or give up."""
        if self._failure is None:
            return False
        self._failure = None
        self._decisions.put_nowait(retry)
        return True

    def submit_decision(self, decision: ReviewDecision) -> bool:
        """Queue the decision for the round under review; a second decision for it is ignored."""
        if self._pending is None or decision.round != self._pending.round:
            log.info("Ignoring a decision for round %s: no such review is open", decision.round)
            return False
        self._pending = None
        self._decisions.put_nowait(decision)
        return True

    async def run(self, topic: str, emit: Callable[[RunUpdate], None]) -> Report:
        from hitl_desktop.core.workflow.research import ResearchWorkflow

        handler = ResearchWorkflow(self._model_source).run(topic=topic)
        forwarder = asyncio.create_task(self._forward_decisions(handler), name="review-decisions")
        try:
            async with contextlib.aclosing(handler.stream_events()) as events:
                async for event in events:
                    update = self._to_update(event)
                    if update is not None:
                        emit(update)
            result = await handler
        except BaseException as exc:
            await _stop_workflow(handler)
            if isinstance(exc, (UserFacingError, asyncio.CancelledError)):
                raise
            if isinstance(exc, Exception):
                log.exception("The research workflow failed")
                raise UserFacingError(f"The run failed unexpectedly: {redact(str(exc)) or type(exc).__name__}.",
                                      "Try again; if it keeps failing, see the log file.",
                                      ErrorKind.INTERNAL) from exc
            raise
        finally:
            self._pending = None
            self._failure = None
            forwarder.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await forwarder
        # A key pasted into the topic must not reach the dialog, the report or a file name.
        return Report(topic=redact(result.topic), markdown=result.report, rounds=result.rounds,
                      model=result.model)

    def _to_update(self, event: Any) -> RunUpdate | None:
        from hitl_desktop.core.workflow import events as wf

        if isinstance(event, wf.ProgressEvent):
            # The workflow's own time stamp: a replayed or resumed run keeps when it really happened.
            return ProgressUpdate(message=event.message, round=event.round,
                                  at=datetime.fromisoformat(event.at))
        if isinstance(event, wf.ResearchDeltaEvent):
            return ResearchDelta(round=event.round, text=event.delta)
        if isinstance(event, wf.ReportDeltaEvent):
            return ReportDelta(text=event.delta)
        if isinstance(event, wf.ResearchReadyEvent):
            self._pending = ReviewRequest(round=event.round, topic=redact(event.topic), notes=event.notes)
            return self._pending
        if isinstance(event, wf.StepFailedForReviewEvent):
            error = UserFacingError(event.message, event.hint, ErrorKind(event.kind),
                                    partial_output=event.partial_output)
            self._failure = StepFailure(stage=event.stage, round=event.round, error=error)
            return self._failure
        return None

    async def _forward_decisions(self, handler: WorkflowHandler) -> None:
        from hitl_desktop.core.workflow.events import RetryDecisionEvent, ReviewDecisionEvent

        while True:
            decision = await self._decisions.get()
            if isinstance(decision, bool):
                handler.ctx.send_event(RetryDecisionEvent(retry=decision))
                continue
            handler.ctx.send_event(ReviewDecisionEvent(
                round=decision.round, approved=decision.approved,
                feedback=decision.feedback, edited_notes=decision.edited_notes))


async def _stop_workflow(handler: WorkflowHandler) -> None:
    if handler.is_done():
        return
    # Shielded: this runs while our own task is being cancelled, and must still finish.
    with contextlib.suppress(Exception, asyncio.CancelledError):
        await asyncio.shield(handler.cancel_run(timeout=5.0))

"""Workflow events as the plain updates the UI shows, and decisions as the event the workflow
takes: one translation for a run driven here (`core.session`) and one on a team server
(`core.team.session`)."""

from __future__ import annotations

from datetime import datetime

from workflows.events import Event

from hitl_desktop.core.citations import Citation
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import (
    ProgressUpdate,
    ReportDelta,
    ResearchDelta,
    ReviewDecision,
    ReviewRequest,
    RunUpdate,
    StepFailure,
)
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.workflow import events as wf


def update_for(event: Event, *, previous_notes: str | None = None) -> RunUpdate | None:
    """The update `event` means for the person watching, or None for events they never see.
    `previous_notes` are the notes last sent back, shown beside a later round's."""
    if isinstance(event, wf.ProgressEvent):
        # The workflow's own time stamp, from when the event was made.
        return ProgressUpdate(message=event.message, round=event.round, at=datetime.fromisoformat(event.at))
    if isinstance(event, wf.ResearchDeltaEvent):
        return ResearchDelta(round=event.round, text=event.delta)
    if isinstance(event, wf.ReportDeltaEvent):
        return ReportDelta(text=event.delta)
    if isinstance(event, wf.ResearchReadyEvent):
        return ReviewRequest(round=event.round, topic=redact(event.topic), notes=event.notes,
                             citations=tuple(Citation.from_dict(c) for c in event.citations),
                             citation_problems=tuple(event.problems),
                             previous_notes=previous_notes if event.round > 1 else None,
                             review_id=event.review_id)
    if isinstance(event, wf.StepFailedForReviewEvent):
        error = UserFacingError(event.message, event.hint, ErrorKind(event.kind),
                                partial_output=event.partial_output)
        return StepFailure(stage=event.stage, round=event.round, error=error, failure_id=event.failure_id)
    if isinstance(event, wf.DecisionIgnoredEvent):
        return ProgressUpdate(message=decision_ignored_message(event.round, event.decided_by), round=event.round)
    return None


def decision_ignored_message(round_number: int, decided_by: str) -> str:
    by = f" by {decided_by}" if decided_by.strip() else ""
    return f"Round {round_number} was already decided{by}; a second decision for it was ignored"


def decision_event(decision: ReviewDecision) -> wf.ReviewDecisionEvent:
    return wf.ReviewDecisionEvent(
        round=decision.round, approved=decision.approved, feedback=decision.feedback,
        edited_notes=decision.edited_notes, dropped_sources=list(decision.dropped_sources),
        pinned_sources=list(decision.pinned_sources), review_id=decision.review_id,
        reviewer=decision.reviewer)

"""Typed workflow events. Every field serialises to JSON (`Stage` as its string), so a paused
run's context round-trips through `ctx.to_dict()` / `Context.from_dict()`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import Field
from workflows.events import Event, HumanResponseEvent, InputRequiredEvent, StopEvent

from hitl_desktop.core.models import Stage


def _now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


class RunStartedEvent(Event):
    """The run's topic, first in its stream: a team server's queue names each run by it before
    any review round is ready."""

    topic: str


class ProgressEvent(Event):
    message: str
    round: int = 0
    at: str = Field(default_factory=_now_iso)


class ResearchRequestedEvent(Event):
    """Start a research round; rounds after the first carry the reviewer's feedback."""

    round: int
    feedback: str = ""
    previous_notes: str = ""


class ResearchDeltaEvent(Event):
    round: int
    delta: str


class ResearchReadyEvent(InputRequiredEvent):
    """Research notes waiting for the human: the run pauses here, for as long as it takes.
    `citations` are the sources the notes may cite (Citation.to_dict()); `problems` what the
    citation check found wrong with how the notes cite them. `review_id` names this review
    round: a decision that carries it answers this review and no other."""

    round: int
    review_id: str
    topic: str
    notes: str
    citations: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)


class ReviewDecisionEvent(HumanResponseEvent):
    """The answer to a review. Only the first answer to the open review counts: one for another
    round or review (`review_id`, when given), or for a review already decided, is ignored and
    answered with a `DecisionIgnoredEvent`. `reviewer` is who decided (a name, free text)."""

    round: int
    approved: bool
    review_id: str = ""
    reviewer: str = ""
    feedback: str = ""
    edited_notes: str | None = None
    # Source triage (files or URLs): dropped ones never come back, pinned ones always do.
    dropped_sources: list[str] = Field(default_factory=list)
    pinned_sources: list[str] = Field(default_factory=list)


class DecisionIgnoredEvent(Event):
    """A decision that did not count: its review was already decided (by `decided_by`, "" when
    that reviewer gave no name) or is not the one open. Several reviewers may answer the same
    review at once; this tells the later ones theirs was not used. `reviewer` is who sent the
    ignored decision."""

    round: int
    review_id: str = ""
    decided_by: str = ""
    reviewer: str = ""
    reason: str = ""


class StepFailedForReviewEvent(InputRequiredEvent):
    """A model call failed; the run waits for the human to retry it (after fixing settings, say).
    `failure_id` names this failure: a retry decision that carries it answers this one only."""

    stage: Stage
    round: int
    message: str
    hint: str = ""
    kind: str = "internal"
    partial_output: str = ""
    failure_id: str = ""


class RetryDecisionEvent(HumanResponseEvent):
    """The human's answer to a failure: retry the failed call, or give up on the run. As with
    reviews, only the first answer to the open failure counts (`failure_id`, when given)."""

    retry: bool
    failure_id: str = ""
    reviewer: str = ""


class ResumeRequestedEvent(HumanResponseEvent):
    """Sent to a served run to have it resumed now. After a crash, llama-agents-server resumes at
    start-up only runs that started more than 30 s earlier; a younger one stays unloaded, showing
    as running with no progress, until an event reaches it. This one does nothing else: the step
    it was in runs again from its start."""


class ReportRequestedEvent(Event):
    notes: str
    feedback: str = ""  # what the reviewer wrote when approving: instructions for the report


class ReportStartedEvent(Event):
    """The report is being written by `model` (its description): a draft kept on Stop names it."""

    model: str


class ReportDeltaEvent(Event):
    delta: str


class ReportFinishedEvent(StopEvent):
    topic: str
    report: str
    rounds: int
    model: str = ""

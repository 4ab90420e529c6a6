"""Typed workflow events. Every field serialises to JSON (`Stage` as its string), so a paused
run's context round-trips through `ctx.to_dict()` / `Context.from_dict()`."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import uuid4

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
    citation check found wrong with how the notes cite them."""

    round: int
    topic: str
    notes: str
    citations: list[dict[str, Any]] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    review_id: str = Field(default_factory=lambda: uuid4().hex)  # this review round's identity


class ReviewDecisionEvent(HumanResponseEvent):
    round: int
    approved: bool
    feedback: str = ""
    edited_notes: str | None = None
    # Source triage (files or URLs): dropped ones never come back, pinned ones always do.
    dropped_sources: list[str] = Field(default_factory=list)
    pinned_sources: list[str] = Field(default_factory=list)
    review_id: str = ""  # the ResearchReadyEvent's; "" from a client that does not send it
    reviewer: str = ""   # who decided


class DecisionIgnoredEvent(Event):
    """A decision for a review that was already decided (two reviewers answered the same round):
    the workflow ignored it. `decided_by` is the reviewer whose decision counted."""

    round: int
    review_id: str
    decided_by: str


class StepFailedForReviewEvent(InputRequiredEvent):
    """A model call failed; the run waits for the human to retry it (after fixing settings, say)."""

    stage: Stage
    round: int
    message: str
    hint: str = ""
    kind: str = "internal"
    partial_output: str = ""


class RetryDecisionEvent(HumanResponseEvent):
    """The human's answer to a failure: retry the failed call, or give up on the run."""

    retry: bool


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

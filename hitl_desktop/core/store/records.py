"""What the run store keeps and hands back: plain frozen dataclasses, no SQLite in sight.

Also the JSON form of what a paused run waits on (a ReviewRequest or a StepFailure), so the
request saved with the workflow's context can be shown again after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum
from typing import Any

from hitl_desktop.core.citations import Citation
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ReviewRequest, Stage, StepFailure


class RunStatus(StrEnum):
    """Where a run is. Equal to its plain string ("waiting_for_review")."""

    RUNNING = "running"
    WAITING_FOR_REVIEW = "waiting_for_review"
    WAITING_FOR_RETRY = "waiting_for_retry"
    DONE = "done"
    STOPPED = "stopped"
    INTERRUPTED = "interrupted"
    FAILED = "failed"

    @property
    def waiting(self) -> bool:
        return self in (RunStatus.WAITING_FOR_REVIEW, RunStatus.WAITING_FOR_RETRY)


class PendingKind(StrEnum):
    """What a paused run waits for: a reviewer's decision, or retry-or-stop after a failed call."""

    REVIEW = "review"
    RETRY = "retry"

    @property
    def status(self) -> RunStatus:
        return RunStatus.WAITING_FOR_REVIEW if self is PendingKind.REVIEW else RunStatus.WAITING_FOR_RETRY


@dataclass(frozen=True)
class RunSummary:
    """One line of the history list."""

    id: str
    topic: str
    status: RunStatus
    model: str
    created_at: datetime
    updated_at: datetime
    rounds: int


@dataclass(frozen=True)
class StoredRound:
    round: int
    notes: str
    citations: tuple[Citation, ...]
    at: datetime


@dataclass(frozen=True)
class StoredDecision:
    round: int
    approved: bool
    feedback: str
    edited_notes: str | None
    dropped_sources: tuple[str, ...]
    pinned_sources: tuple[str, ...]
    reviewer: str
    at: datetime


@dataclass(frozen=True)
class StoredReport:
    markdown: str
    final: bool
    model: str
    at: datetime


@dataclass(frozen=True)
class Usage:
    tokens_in: int = 0
    tokens_out: int = 0


@dataclass(frozen=True)
class ProgressLine:
    message: str
    at: datetime


@dataclass(frozen=True)
class Pending:
    """What a paused run waits on, and the workflow context to resume it with (ctx.to_dict())."""

    kind: PendingKind
    request: dict[str, Any]
    context: dict[str, Any]
    at: datetime


@dataclass(frozen=True)
class Draft:
    """The reviewer's unsent answer to the pending round."""

    round: int
    edited_notes: str
    feedback: str
    at: datetime


@dataclass(frozen=True)
class StoredRun:
    """Everything kept about one run."""

    summary: RunSummary
    rounds: tuple[StoredRound, ...]
    decisions: tuple[StoredDecision, ...]
    report: StoredReport | None
    usage: Usage
    progress: tuple[ProgressLine, ...]
    pending: Pending | None
    draft: Draft | None
    owner: str | None  # the instance token of the app that may write it (None: nobody)

    @property
    def id(self) -> str:
        return self.summary.id


@dataclass(frozen=True)
class Recovery:
    """What `RunStore.recover_after_start` found: runs it marked interrupted, runs that wait."""

    interrupted: tuple[RunSummary, ...]
    waiting: tuple[RunSummary, ...]


def iso(at: datetime | None = None) -> str:
    """A UTC ISO 8601 timestamp with microseconds (one fixed width, so text order is time order).
    A naive datetime is taken to be UTC already."""
    at = at or datetime.now(timezone.utc)
    at = at.replace(tzinfo=timezone.utc) if at.tzinfo is None else at.astimezone(timezone.utc)
    return at.isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)


def request_to_json(request: ReviewRequest | StepFailure) -> dict[str, Any]:
    """The JSON form of what a run waits on, for `RunStore.save_pending`."""
    if isinstance(request, ReviewRequest):
        return {"type": "review", "round": request.round, "review_id": request.review_id,
                "topic": request.topic, "notes": request.notes,
                "citations": [c.to_dict() for c in request.citations],
                "citation_problems": list(request.citation_problems)}
    error = request.error
    return {"type": "failure", "stage": str(request.stage), "round": request.round,
            "failure_id": request.failure_id,
            "error": {"message": error.message, "hint": error.hint, "kind": error.kind.value,
                      "partial_output": error.partial_output}}


def request_from_json(data: dict[str, Any]) -> ReviewRequest | StepFailure:
    """The inverse of `request_to_json`."""
    if data["type"] == "review":
        return ReviewRequest(round=data["round"], topic=data["topic"], notes=data["notes"],
                             citations=tuple(Citation.from_dict(c) for c in data["citations"]),
                             citation_problems=tuple(data["citation_problems"]),
                             review_id=data.get("review_id", ""))  # "" in runs saved before ids
    error = data["error"]
    return StepFailure(stage=Stage(data["stage"]), round=data["round"],
                       error=UserFacingError(error["message"], error["hint"], ErrorKind(error["kind"]),
                                             partial_output=error["partial_output"]),
                       failure_id=data.get("failure_id", ""))

"""Plain data the core hands to the UI: no Qt, no LlamaIndex, all JSON-friendly."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import StrEnum

from hitl_desktop.core.citations import Citation
from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.provenance import Provenance


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class Stage(StrEnum):
    """The part of a run a model call belongs to. Equal to its plain string ("research")."""

    RESEARCH = "research"
    REPORT = "report"


@dataclass(frozen=True)
class ProgressUpdate:
    message: str
    round: int = 0
    at: datetime = field(default_factory=utc_now)


@dataclass(frozen=True)
class ResumeOffer(ProgressUpdate):
    """A progress note that the run waits for its server to take it up again: killed mid-step,
    it is resumed only after a grace of about 30 s, unless someone asks for it now (Resume now)."""


@dataclass(frozen=True)
class ResearchDelta:
    """A piece of research notes as the model writes them (for a live 'receiving…' display)."""

    round: int
    text: str


@dataclass(frozen=True)
class ReviewRequest:
    """A research round waiting for a human decision, with the sources its notes may cite and
    what the citation check found wrong (a marker pointing nowhere, a misquote)."""

    round: int
    topic: str
    notes: str
    citations: tuple[Citation, ...] = ()
    citation_problems: tuple[str, ...] = ()
    # The reviewer's unsent answer, kept from before the app last quit: the dialog starts from it.
    draft_notes: str | None = None
    draft_feedback: str = ""
    # The notes the reviewer sent back (as they left them), for "what changed" in later rounds.
    previous_notes: str | None = None
    # This review's id: a decision carrying it answers this review and no other (with several
    # reviewers, the first decision counts). "" where it is not known (a run saved before ids).
    review_id: str = ""


@dataclass(frozen=True)
class ReviewDecision:
    round: int
    approved: bool
    feedback: str = ""
    # The notes as the reviewer left them, when they changed them; None means "as written".
    edited_notes: str | None = None
    # Source triage, by file path or URL: dropped sources never return in later rounds or in the
    # report; pinned ones are always included.
    dropped_sources: tuple[str, ...] = ()
    pinned_sources: tuple[str, ...] = ()
    # The review this answers (ReviewRequest.review_id; "" answers the open one) and who decided.
    review_id: str = ""
    reviewer: str = ""


@dataclass(frozen=True)
class RetryDecision:
    """The answer to a StepFailure: retry the failed model call, or give the run up."""

    retry: bool
    failure_id: str = ""  # StepFailure.failure_id; "" answers the open failure
    reviewer: str = ""


@dataclass(frozen=True)
class StepFailure:
    """A model call failed mid-run; the run waits for `retry` or stop, keeping earlier work."""

    stage: Stage
    round: int
    error: UserFacingError
    failure_id: str = ""  # this failure's id: a RetryDecision carrying it answers this one only


@dataclass(frozen=True)
class ReportDelta:
    text: str


@dataclass(frozen=True)
class Report:
    topic: str
    markdown: str
    rounds: int
    model: str = ""
    created_at: datetime = field(default_factory=utc_now)
    provenance: Provenance | None = None  # how it was made, for the exports (core/provenance.py)


RunUpdate = ProgressUpdate | ResearchDelta | ReviewRequest | ReportDelta | StepFailure

DRAFT_NOTE = ("\n\n---\n\n*Draft: this report is unfinished. The run was stopped before the "
              "model had written all of it.*\n")


def draft_report(request: ReviewRequest, written: str, model: str = "") -> Report | None:
    """What a stopped run leaves of its report: the text written so far, marked as a draft, or
    None if none was written."""
    text = written.strip()
    if not text:
        return None
    return Report(topic=request.topic, markdown=text + DRAFT_NOTE, rounds=request.round, model=model)

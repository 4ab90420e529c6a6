"""RunState: what one run waits on and what it has written so far, and the rules for answering
it. Shared by a run driven here (`core.session`) and one on a team server (`core.team.session`),
so both take decisions and retries the same way."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace

from hitl_desktop.core.models import (
    Report,
    ReportDelta,
    RetryDecision,
    ReviewDecision,
    ReviewRequest,
    RunUpdate,
    Stage,
    StepFailure,
    draft_report,
)


@dataclass
class RunState:
    pending: ReviewRequest | None = None     # the round waiting for a decision
    failure: StepFailure | None = None       # the failed step waiting for Retry or Stop
    last_review: ReviewRequest | None = None  # the newest round reviewed (a draft report names it)
    sent_back: str | None = None             # the notes of the round last sent back, as left
    report_model: str = ""
    report_pieces: list[str] = field(default_factory=list)
    # The answers taken, for the run's driver to pass on (its own kinds of answer may join them).
    answers: asyncio.Queue[object] = field(default_factory=asyncio.Queue)

    def follow(self, update: RunUpdate | None) -> None:
        """Keep what `update` says the run now waits on, or has written."""
        if isinstance(update, ReportDelta):
            self.report_pieces.append(update.text)
        elif isinstance(update, ReviewRequest):
            self.pending = self.last_review = update
        elif isinstance(update, StepFailure):
            self.failure = update

    def paused(self) -> bool:
        return self.pending is not None or self.failure is not None

    def resumed(self) -> None:
        """The run moved on: it waits for nothing."""
        self.pending = self.failure = None

    def draft(self) -> Report | None:
        """The report as far as it was written, marked unfinished (None before any review)."""
        if self.last_review is None:
            return None
        return draft_report(self.last_review, "".join(self.report_pieces), self.report_model)

    def take_decision(self, decision: ReviewDecision) -> tuple[ReviewRequest, ReviewDecision] | None:
        """The open review and `decision` for it (with the review's id), queued; None when no
        review of that round is open (a second decision for a round is one)."""
        request = self.pending
        if request is None or decision.round != request.round:
            return None
        decision = replace(decision, review_id=decision.review_id or request.review_id)
        if not decision.approved:
            self.sent_back = decision.edited_notes if decision.edited_notes is not None else request.notes
        self.pending = None
        self.answers.put_nowait(decision)
        return request, decision

    def take_retry(self, answer: RetryDecision) -> StepFailure | None:
        """The failure `answer` answers (with its id), queued; None when the run waits on none."""
        failure, self.failure = self.failure, None
        if failure is None:
            return None
        if answer.retry and failure.stage is Stage.REPORT:
            self.report_pieces.clear()  # the report is written again from the start
        self.answers.put_nowait(replace(answer, failure_id=answer.failure_id or failure.failure_id))
        return failure

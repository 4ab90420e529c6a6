"""One answer per review: when several reviewers answer the same pause, the first counts and the
others are told who decided (the workflow contract a team server's clients rely on)."""

from __future__ import annotations

import asyncio

from scripted_model import Gate, ScriptedChatModel, ScriptedReply
from workflows import Context

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ReviewDecision, ReviewRequest
from hitl_desktop.core.provenance import ProvenanceRecorder
from hitl_desktop.core.session import ResearchSession
from hitl_desktop.core.workflow.events import (
    DecisionIgnoredEvent,
    ProgressEvent,
    ReportFinishedEvent,
    ResearchReadyEvent,
    RetryDecisionEvent,
    ReviewDecisionEvent,
    StepFailedForReviewEvent,
)
from hitl_desktop.core.workflow.research import ResearchWorkflow


async def _answer_each_pause(workflow: ResearchWorkflow, answers) -> tuple[ReportFinishedEvent, list]:  # type: ignore[no-untyped-def]
    """Run to the end; at each pause send every answer `answers(pause)` gives, all at once."""
    handler = workflow.run(topic="tides")
    seen = []
    async for event in handler.stream_events():
        seen.append(event)
        if isinstance(event, (ResearchReadyEvent, StepFailedForReviewEvent)):
            for answer in answers(event):
                handler.ctx.send_event(answer)
    return await handler, seen


def test_two_approvals_of_one_review_count_once_and_the_second_is_told_who_decided() -> None:
    model = ScriptedChatModel("notes", "the report", "a second report")

    def both_approve(pause: ResearchReadyEvent) -> list[ReviewDecisionEvent]:
        return [ReviewDecisionEvent(round=pause.round, review_id=pause.review_id, approved=True, reviewer=name)
                for name in ("Ana", "Ben")]

    result, seen = asyncio.run(_answer_each_pause(ResearchWorkflow(lambda: model), both_approve))
    assert result.report == "the report"
    assert len(model.calls) == 2  # the research and one report: the second approval started nothing
    ignored = [e for e in seen if isinstance(e, DecisionIgnoredEvent)]
    assert [(e.round, e.decided_by, e.reviewer, e.reason) for e in ignored] == [(1, "Ana", "Ben", "already decided")]
    assert "Research round 1 approved by Ana" in [e.message for e in seen if isinstance(e, ProgressEvent)]


def test_each_review_round_has_its_own_id_and_an_answer_to_an_old_one_is_ignored() -> None:
    model = ScriptedChatModel("notes one", "notes two", "report")
    reviews: list[ResearchReadyEvent] = []

    def answer(pause: ResearchReadyEvent) -> list[ReviewDecisionEvent]:
        reviews.append(pause)
        if pause.round == 1:
            return [ReviewDecisionEvent(round=1, review_id=pause.review_id, approved=False, feedback="more",
                                        reviewer="Ana")]
        # A stale answer naming round 1's review, then one with the right round but a wrong id.
        return [ReviewDecisionEvent(round=1, review_id=reviews[0].review_id, approved=True, reviewer="Ben"),
                ReviewDecisionEvent(round=2, review_id="not-this-one", approved=True, reviewer="Ben"),
                ReviewDecisionEvent(round=2, review_id=pause.review_id, approved=True, reviewer="Cy")]

    result, seen = asyncio.run(_answer_each_pause(ResearchWorkflow(lambda: model), answer))
    assert result.rounds == 2 and len(model.calls) == 3
    assert reviews[0].review_id and reviews[1].review_id and reviews[0].review_id != reviews[1].review_id
    ignored = [(e.round, e.decided_by, e.reason) for e in seen if isinstance(e, DecisionIgnoredEvent)]
    assert ignored == [(1, "Ana", "already decided"), (2, "", "not the open review")]
    messages = [e.message for e in seen if isinstance(e, ProgressEvent)]
    assert any(m.startswith("Research round 1 sent back by Ana") for m in messages)
    assert "Research round 2 approved by Cy" in messages


def test_a_decision_for_a_review_not_yet_open_is_ignored() -> None:
    async def scenario() -> list:
        gate = Gate(after_chunks=0)
        model = ScriptedChatModel(ScriptedReply(["notes"], gate=gate), "report")
        handler = ResearchWorkflow(lambda: model).run(topic="tides")
        seen = []
        async for event in handler.stream_events():
            seen.append(event)
            if isinstance(event, ProgressEvent) and event.message.startswith("Researching round 1"):
                handler.ctx.send_event(ReviewDecisionEvent(round=1, approved=True, reviewer="Early"))
            elif isinstance(event, DecisionIgnoredEvent):
                gate.opened.set()  # the early decision was turned away while research was still going
            elif isinstance(event, ResearchReadyEvent):
                handler.ctx.send_event(ReviewDecisionEvent(round=1, approved=True))
        await handler
        return seen

    seen = asyncio.run(scenario())
    assert [(e.reviewer, e.reason) for e in seen if isinstance(e, DecisionIgnoredEvent)] == [("Early", "no review is open")]


def test_two_retries_of_one_failure_retry_once() -> None:
    working = ScriptedChatModel("notes", "report")
    failing = ScriptedChatModel(ScriptedReply([], error=UserFacingError("Down.", kind=ErrorKind.NETWORK)))
    workflow = ResearchWorkflow(lambda: failing if not failing.calls else working)

    def answers(pause):  # type: ignore[no-untyped-def]
        if isinstance(pause, StepFailedForReviewEvent):
            return [RetryDecisionEvent(retry=True, failure_id=pause.failure_id, reviewer=name) for name in ("Ana", "Ben")]
        return [ReviewDecisionEvent(round=pause.round, review_id=pause.review_id, approved=True)]

    result, seen = asyncio.run(_answer_each_pause(workflow, answers))
    assert result.report == "report" and len(working.calls) == 2
    assert [(e.decided_by, e.reviewer) for e in seen if isinstance(e, DecisionIgnoredEvent)] == [("Ana", "Ben")]
    assert "Retrying the research (asked by Ana)…" in [e.message for e in seen if isinstance(e, ProgressEvent)]


def test_a_paused_run_keeps_its_open_review_through_its_saved_context() -> None:
    async def scenario() -> tuple[str, list]:
        model = ScriptedChatModel("notes", "report")
        workflow = ResearchWorkflow(lambda: model)
        handler = workflow.run(topic="tides")
        async for event in handler.stream_events():
            if isinstance(event, ResearchReadyEvent):
                review_id, saved = event.review_id, handler.ctx.to_dict()
                break
        await handler.cancel_run()
        restored = workflow.run(ctx=Context.from_dict(workflow, saved))
        restored.ctx.send_event(ReviewDecisionEvent(round=1, review_id="stale", approved=True, reviewer="Ben"))
        restored.ctx.send_event(ReviewDecisionEvent(round=1, review_id=review_id, approved=True, reviewer="Ana"))
        seen = [event async for event in restored.stream_events()]
        await restored
        return review_id, seen

    review_id, seen = asyncio.run(scenario())
    assert [(e.review_id, e.reason) for e in seen if isinstance(e, DecisionIgnoredEvent)] == [("stale", "not the open review")]
    assert isinstance(seen[-1], ReportFinishedEvent)


def test_the_session_passes_the_review_id_through_and_records_the_reviewer() -> None:
    async def scenario() -> tuple[ReviewRequest, object]:
        model = ScriptedChatModel("notes", "report")
        session = ResearchSession(lambda: model, provenance=ProvenanceRecorder("model"))
        requests: list[ReviewRequest] = []

        def emit(update: object) -> None:
            if isinstance(update, ReviewRequest):
                requests.append(update)
                assert session.submit_decision(ReviewDecision(round=1, approved=True, reviewer="Ana"))
        report = await session.run("tides", emit)
        return requests[0], report

    request, report = asyncio.run(scenario())
    assert request.review_id
    assert [(r.round, r.reviewer) for r in report.provenance.rounds] == [(1, "Ana")]

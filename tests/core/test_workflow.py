"""ResearchWorkflow and ResearchSession without Qt: rounds, feedback, edits, failures, serialisation."""

from __future__ import annotations

import asyncio
import json

import pytest
from scripted_model import ScriptedChatModel, ScriptedReply
from workflows import Context

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ProgressUpdate, RetryDecision, ReviewDecision, ReviewRequest, Stage, StepFailure
from hitl_desktop.core.providers.base import ChatModel, Usage
from hitl_desktop.core.providers.dashscope_chat import DashScopeChatModel
from hitl_desktop.core.providers.openai_compatible import OpenAICompatibleChatModel
from hitl_desktop.core.providers.retry import RetryingChatModel
from hitl_desktop.core.session import ResearchSession
from hitl_desktop.core.settings import DASHSCOPE, OPENAI_COMPATIBLE, ProviderSettings
from hitl_desktop.core.workflow.events import (
    ProgressEvent,
    ReportFinishedEvent,
    ResearchReadyEvent,
    RetryDecisionEvent,
    ReviewDecisionEvent,
    StepFailedForReviewEvent,
)
from hitl_desktop.core.workflow.research import ResearchWorkflow


async def drive(workflow: ResearchWorkflow, topic: str, answers: list) -> tuple[ReportFinishedEvent, list]:  # type: ignore[type-arg]
    """Run the workflow, answering each pause with the next of `answers`."""
    handler = workflow.run(topic=topic)
    seen = []
    async for event in handler.stream_events():
        seen.append(event)
        if isinstance(event, (ResearchReadyEvent, StepFailedForReviewEvent)):
            handler.ctx.send_event(answers.pop(0))
    return await handler, seen


def test_research_runs_exactly_once_per_round_and_gets_feedback() -> None:
    model = ScriptedChatModel("notes one", "notes two", "the report")
    workflow = ResearchWorkflow(lambda: model)
    result, seen = asyncio.run(drive(workflow, "tides", [
        ReviewDecisionEvent(round=1, approved=False, feedback="name the sites"),
        ReviewDecisionEvent(round=2, approved=True),
    ]))
    assert [type(e).__name__ for e in seen if isinstance(e, ResearchReadyEvent)] == ["ResearchReadyEvent"] * 2
    assert len(model.calls) == 3
    assert "name the sites" in model.prompt(1) and "notes one" in model.prompt(1)
    assert "notes two" in model.prompt(2)
    assert isinstance(result, ReportFinishedEvent)
    assert (result.report, result.rounds, result.topic) == ("the report", 2, "tides")


def test_edited_notes_replace_the_model_notes_in_the_report_prompt() -> None:
    model = ScriptedChatModel("model notes", "report")
    workflow = ResearchWorkflow(lambda: model)
    asyncio.run(drive(workflow, "tides", [
        ReviewDecisionEvent(round=1, approved=True, edited_notes="human notes"),
    ]))
    assert "human notes" in model.prompt(1) and "model notes" not in model.prompt(1)


def test_a_failed_round_waits_and_a_retry_uses_a_fresh_model() -> None:
    failing = ScriptedChatModel(ScriptedReply([], error=UserFacingError("No key.", "Set it.", ErrorKind.CONFIG)))
    working = ScriptedChatModel("notes", "report")
    models = [failing, working]
    workflow = ResearchWorkflow(lambda: models[0] if len(failing.calls) == 0 else models[1])
    result, seen = asyncio.run(drive(workflow, "tides", [
        RetryDecisionEvent(retry=True),
        ReviewDecisionEvent(round=1, approved=True),
    ]))
    failure = next(e for e in seen if isinstance(e, StepFailedForReviewEvent))
    assert (failure.stage, failure.round, failure.kind, failure.message) == ("research", 1, "config", "No key.")
    assert result.report == "report" and len(working.calls) == 2


def test_giving_up_after_a_failure_ends_the_run_with_that_error() -> None:
    model = ScriptedChatModel(ScriptedReply([], error=UserFacingError("Server error.", "Later.", ErrorKind.SERVER)))
    workflow = ResearchWorkflow(lambda: model)
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(drive(workflow, "tides", [RetryDecisionEvent(retry=False)]))
    assert caught.value.kind is ErrorKind.SERVER and caught.value.message == "Server error."


def test_model_notices_and_token_usage_reach_the_progress_list() -> None:
    model = ScriptedChatModel(
        ScriptedReply(["notes"], usage=Usage(100, 20), notice="Model usage: 100 tokens in, 20 out"),
        ScriptedReply(["report"], usage=Usage(300, 50)))
    _, seen = asyncio.run(drive(ResearchWorkflow(lambda: model), "tides", [
        ReviewDecisionEvent(round=1, approved=True),
    ]))
    progress = [(e.message, e.round) for e in seen if isinstance(e, ProgressEvent)]
    assert ("Model usage: 100 tokens in, 20 out", 1) in progress
    assert progress[-1] == ("Run total: 400 tokens in, 70 out", 1)


def test_every_model_satisfies_the_chat_model_protocol() -> None:
    """The workflow sets `on_notice` and reads `last_usage` on whatever model it is given."""
    dashscope = DashScopeChatModel(ProviderSettings(provider=DASHSCOPE, model="qwen-plus", api_key="k"))
    compatible = OpenAICompatibleChatModel(
        ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", base_url="http://localhost:1/v1"))
    for model in (dashscope, compatible, RetryingChatModel(compatible), ScriptedChatModel()):
        assert isinstance(model, ChatModel), type(model).__name__
        assert model.on_notice is None and not model.last_usage.reported


def test_bad_topic_fails_before_any_model_call() -> None:
    model = ScriptedChatModel("never")
    with pytest.raises(UserFacingError) as caught:
        asyncio.run(drive(ResearchWorkflow(lambda: model), "   ", []))
    assert caught.value.kind is ErrorKind.BAD_INPUT and model.calls == []


def test_a_paused_run_survives_serialisation_without_re_researching() -> None:
    """ctx.to_dict() at the pause, through JSON, restore, go on: the model is not asked again."""

    async def pause_then_resume() -> tuple[str, int]:
        model = ScriptedChatModel("notes to review", "the report")
        handler = ResearchWorkflow(lambda: model).run(topic="tides")
        async for event in handler.stream_events():
            if isinstance(event, ResearchReadyEvent):
                break
        saved = json.dumps(handler.ctx.to_dict())
        await handler.cancel_run()

        fresh = ResearchWorkflow(lambda: model)
        restored = fresh.run(ctx=Context.from_dict(fresh, json.loads(saved)))
        restored.ctx.send_event(ReviewDecisionEvent(round=1, approved=True))
        result = await restored
        return result.report, len(model.calls)

    report, calls = asyncio.run(pause_then_resume())
    assert report == "the report"
    assert calls == 2  # research once before the pause, the report after: nothing re-ran


def test_a_run_paused_on_a_failed_report_survives_serialisation_and_retries_the_report() -> None:
    async def pause_then_retry() -> tuple[StepFailedForReviewEvent, str, int]:
        cut = UserFacingError("Stream cut.", "Retry.", ErrorKind.STREAM_CUT)
        model = ScriptedChatModel("notes", ScriptedReply(["# Par"], error=cut), "the report")
        handler = ResearchWorkflow(lambda: model).run(topic="tides")
        async for event in handler.stream_events():
            if isinstance(event, ResearchReadyEvent):
                handler.ctx.send_event(ReviewDecisionEvent(round=1, approved=True))
            elif isinstance(event, StepFailedForReviewEvent):
                failure = event
                break
        saved = json.dumps(handler.ctx.to_dict())
        await handler.cancel_run()

        fresh = ResearchWorkflow(lambda: model)
        restored = fresh.run(ctx=Context.from_dict(fresh, json.loads(saved)))
        restored.ctx.send_event(RetryDecisionEvent(retry=True))
        result = await restored
        return failure, result.report, len(model.calls)

    failure, report, calls = asyncio.run(pause_then_retry())
    assert failure.stage is Stage.REPORT and failure.stage == "report"
    assert report == "the report"
    assert calls == 3  # research once, the failed report, the retried report


def test_session_emits_plain_updates_and_ignores_duplicate_decisions() -> None:
    async def run() -> tuple[list, list[bool]]:  # type: ignore[type-arg]
        model = ScriptedChatModel("notes", "report")
        session = ResearchSession(lambda: model)
        updates: list = []  # type: ignore[type-arg]
        accepted: list[bool] = []

        def on_update(update: object) -> None:
            updates.append(update)
            if isinstance(update, ReviewRequest):
                decision = ReviewDecision(round=update.round, approved=True)
                accepted.extend([session.submit_decision(decision), session.submit_decision(decision)])

        report = await session.run("tides", on_update)
        updates.append(report)
        return updates, accepted

    updates, accepted = asyncio.run(run())
    assert accepted == [True, False]
    assert any(isinstance(u, ProgressUpdate) and "Researching round 1" in u.message for u in updates)
    assert updates[-1].markdown == "report" and updates[-1].rounds == 1


def test_session_reports_a_failure_and_retries_on_request() -> None:
    async def run() -> list:  # type: ignore[type-arg]
        replies = ScriptedChatModel(ScriptedReply([], error=UserFacingError("Rate limited.", "", ErrorKind.RATE_LIMIT)),
                                    "notes", "report")
        session = ResearchSession(lambda: replies)
        failures: list = []  # type: ignore[type-arg]

        def on_update(update: object) -> None:
            if isinstance(update, StepFailure):
                failures.append(update)
                assert session.pending_failure is update
                assert session.submit_retry(RetryDecision(retry=True)) and not session.submit_retry(RetryDecision(retry=True))
            elif isinstance(update, ReviewRequest):
                session.submit_decision(ReviewDecision(round=1, approved=True))

        await session.run("tides", on_update)
        return failures

    failures = asyncio.run(run())
    assert [(f.stage, f.error.kind) for f in failures] == [(Stage.RESEARCH, ErrorKind.RATE_LIMIT)]

"""ResearchWorkflow: research a topic in rounds, pause for a human review, then write the report.

Each pause is a step *returning* an `InputRequiredEvent` and another step *consuming* the
`HumanResponseEvent`, never `ctx.wait_for_event`, which would replay its step (and so the model
call) when the answer arrives. `timeout=None`: a reviewer may take hours.

A failed model call does not end the run: the step returns `StepFailedForReviewEvent` and the
human decides to retry it (perhaps after fixing a key) or give up, so no earlier work is lost.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from workflows import Context, Workflow, step
from workflows.events import StartEvent

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import Stage, validate_topic
from hitl_desktop.core.providers.base import ChatModel, ChatModelSource, Message, Usage
from hitl_desktop.core.workflow import prompts
from hitl_desktop.core.workflow.events import (
    ProgressEvent,
    ReportDeltaEvent,
    ReportFinishedEvent,
    ReportRequestedEvent,
    ReportStartedEvent,
    ResearchDeltaEvent,
    ResearchReadyEvent,
    ResearchRequestedEvent,
    RetryDecisionEvent,
    ReviewDecisionEvent,
    StepFailedForReviewEvent,
)

log = logging.getLogger(__name__)


class ResearchWorkflow(Workflow):
    def __init__(self, model_source: ChatModelSource, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", None)
        super().__init__(**kwargs)
        # A source, not a model: it is asked at each call (see ChatModelSource).
        self._model_source = model_source

    @step
    async def begin(self, ctx: Context, ev: StartEvent) -> ResearchRequestedEvent:
        topic = validate_topic(str(ev.get("topic", "")))
        await ctx.store.set("topic", topic)
        return ResearchRequestedEvent(round=1)

    @step
    async def research(self, ctx: Context,
                       ev: ResearchRequestedEvent) -> ResearchReadyEvent | StepFailedForReviewEvent:
        topic: str = await ctx.store.get("topic")
        await ctx.store.set("retry_research", ev.model_dump())
        ctx.write_event_to_stream(ProgressEvent(message=f"Researching round {ev.round}…", round=ev.round))
        messages = prompts.research_messages(topic, ev.round, ev.feedback, ev.previous_notes)
        try:
            model = await self._model(ctx, ev.round)
            notes = await self._stream(messages, lambda d: ResearchDeltaEvent(round=ev.round, delta=d),
                                       ctx, model)
        except Exception as error:  # any failure pauses the run for a retry; nothing is thrown away
            return await _failed(ctx, Stage.RESEARCH, ev.round, error)
        await ctx.store.set("notes", notes)
        await ctx.store.set("round", ev.round)
        ctx.write_event_to_stream(ProgressEvent(message=f"Research round {ev.round} ready for review",
                                                round=ev.round))
        return ResearchReadyEvent(round=ev.round, topic=topic, notes=notes)

    @step
    async def review(self, ctx: Context,
                     ev: ReviewDecisionEvent) -> ResearchRequestedEvent | ReportRequestedEvent:
        notes: str = await ctx.store.get("notes")
        if ev.edited_notes is not None:
            notes = ev.edited_notes
        if ev.approved:
            edited = " with the reviewer's edits" if ev.edited_notes is not None else ""
            asked = f"; for the report: “{_shorten(ev.feedback, 80)}”" if ev.feedback.strip() else ""
            ctx.write_event_to_stream(ProgressEvent(
                message=f"Research round {ev.round} approved{edited}{asked}", round=ev.round))
            return ReportRequestedEvent(notes=notes, feedback=ev.feedback.strip())
        ctx.write_event_to_stream(ProgressEvent(
            message=f"Research round {ev.round} sent back: “{_shorten(ev.feedback, 80)}”", round=ev.round))
        return ResearchRequestedEvent(round=ev.round + 1, feedback=ev.feedback, previous_notes=notes)

    @step
    async def write_report(self, ctx: Context,
                           ev: ReportRequestedEvent) -> ReportFinishedEvent | StepFailedForReviewEvent:
        topic: str = await ctx.store.get("topic")
        rounds: int = await ctx.store.get("round")
        await ctx.store.set("retry_report", ev.model_dump())
        ctx.write_event_to_stream(ProgressEvent(message="Writing the report…", round=rounds))
        try:
            model = await self._model(ctx, rounds)
            ctx.write_event_to_stream(ReportStartedEvent(model=model.description))
            report = await self._stream(prompts.report_messages(topic, ev.notes, ev.feedback),
                                        lambda d: ReportDeltaEvent(delta=d), ctx, model)
        except Exception as error:  # any failure pauses the run for a retry; nothing is thrown away
            return await _failed(ctx, Stage.REPORT, rounds, error)
        words = len(report.split())
        ctx.write_event_to_stream(ProgressEvent(message=f"Report finished ({words:,} words)", round=rounds))
        used = Usage(*await ctx.store.get("usage", default=(0, 0)))
        if used.reported:
            ctx.write_event_to_stream(ProgressEvent(message=f"Run total: {used.describe()}", round=rounds))
        return ReportFinishedEvent(topic=topic, report=report, rounds=rounds, model=model.description)

    @step
    async def after_failure(self, ctx: Context,
                            ev: RetryDecisionEvent) -> ResearchRequestedEvent | ReportRequestedEvent:
        failed = StepFailedForReviewEvent.model_validate(await ctx.store.get("failed"))
        if not ev.retry:
            raise UserFacingError(failed.message, failed.hint, ErrorKind(failed.kind))
        ctx.write_event_to_stream(ProgressEvent(message=f"Retrying the {failed.stage}…",
                                                round=failed.round))
        if failed.stage is Stage.REPORT:
            return ReportRequestedEvent(**await ctx.store.get("retry_report"))
        return ResearchRequestedEvent(**await ctx.store.get("retry_research"))

    async def _model(self, ctx: Context, round_number: int) -> ChatModel:
        # On a worker thread: building a model may read the OS keychain, which can wait on an
        # unlock prompt, and the UI shares this loop.
        model = await asyncio.to_thread(self._model_source)
        # Retries, token usage and replies cut by the output limit show in the progress list.
        model.on_notice = lambda text: ctx.write_event_to_stream(
            ProgressEvent(message=text, round=round_number))
        return model

    @staticmethod
    async def _stream(messages: list[Message], to_event: Callable[[str], Any], ctx: Context,
                      model: ChatModel) -> str:
        pieces: list[str] = []
        async for delta in model.stream_chat(messages):
            pieces.append(delta)
            ctx.write_event_to_stream(to_event(delta))
        if model.last_usage.reported:
            total = Usage(*await ctx.store.get("usage", default=(0, 0)))
            total.add(model.last_usage)
            await ctx.store.set("usage", (total.input_tokens, total.output_tokens))
        return "".join(pieces).strip()


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


async def _failed(ctx: Context, stage: Stage, round_number: int,
                  error: Exception) -> StepFailedForReviewEvent:
    if not isinstance(error, UserFacingError):  # a bug or a provider quirk: log it, say it plainly
        log.error("The %s step failed unexpectedly", stage, exc_info=error)
        error = UserFacingError(f"The {stage} failed unexpectedly ({type(error).__name__}).",
                                "Retry; if it keeps failing, the log file has the details.",
                                ErrorKind.INTERNAL)
    event = StepFailedForReviewEvent(stage=stage, round=round_number, message=error.message,
                                     hint=error.hint, kind=error.kind.value,
                                     partial_output=error.partial_output)
    await ctx.store.set("failed", event.model_dump(mode="json"))
    ctx.write_event_to_stream(ProgressEvent(message=f"The {stage} failed: {error.message}",
                                            round=round_number))
    return event

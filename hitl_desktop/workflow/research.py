"""ResearchWorkflow: research a topic in rounds, pause for a human review, then write the report.

Each pause is a step *returning* `ResearchReadyEvent` and another step *consuming*
`ReviewDecisionEvent`, never `ctx.wait_for_event`, which would replay its step (and so the model
call) when the answer arrives. `timeout=None`: a reviewer may take hours.
"""

from __future__ import annotations

from typing import Any

from workflows import Context, Workflow, step
from workflows.events import StartEvent

from hitl_desktop.models import validate_topic
from hitl_desktop.providers.base import ChatModel
from hitl_desktop.workflow import prompts
from hitl_desktop.workflow.events import (
    ProgressEvent,
    ReportDeltaEvent,
    ReportFinishedEvent,
    ReportRequestedEvent,
    ResearchDeltaEvent,
    ResearchReadyEvent,
    ResearchRequestedEvent,
    ReviewDecisionEvent,
)


class ResearchWorkflow(Workflow):
    def __init__(self, chat_model: ChatModel, **kwargs: Any) -> None:
        kwargs.setdefault("timeout", None)
        super().__init__(**kwargs)
        self._model = chat_model

    @step
    async def begin(self, ctx: Context, ev: StartEvent) -> ResearchRequestedEvent:
        topic = validate_topic(str(ev.get("topic", "")))
        await ctx.store.set("topic", topic)
        return ResearchRequestedEvent(round=1)

    @step
    async def research(self, ctx: Context, ev: ResearchRequestedEvent) -> ResearchReadyEvent:
        topic: str = await ctx.store.get("topic")
        ctx.write_event_to_stream(ProgressEvent(message=f"Researching round {ev.round}…", round=ev.round))
        messages = prompts.research_messages(topic, ev.round, ev.feedback, ev.previous_notes)
        pieces: list[str] = []
        async for delta in self._model.stream_chat(messages):
            pieces.append(delta)
            ctx.write_event_to_stream(ResearchDeltaEvent(round=ev.round, delta=delta))
        notes = "".join(pieces).strip()
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
            edited = " (with the reviewer's edits)" if ev.edited_notes is not None else ""
            ctx.write_event_to_stream(ProgressEvent(
                message=f"Research round {ev.round} approved{edited}", round=ev.round))
            return ReportRequestedEvent(notes=notes)
        ctx.write_event_to_stream(ProgressEvent(
            message=f"Research round {ev.round} sent back with feedback", round=ev.round))
        return ResearchRequestedEvent(round=ev.round + 1, feedback=ev.feedback, previous_notes=notes)

    @step
    async def write_report(self, ctx: Context, ev: ReportRequestedEvent) -> ReportFinishedEvent:
        topic: str = await ctx.store.get("topic")
        rounds: int = await ctx.store.get("round")
        ctx.write_event_to_stream(ProgressEvent(message="Writing the report…", round=rounds))
        pieces: list[str] = []
        async for delta in self._model.stream_chat(prompts.report_messages(topic, ev.notes)):
            pieces.append(delta)
            ctx.write_event_to_stream(ReportDeltaEvent(delta=delta))
        report = "".join(pieces).strip()
        words = len(report.split())
        ctx.write_event_to_stream(ProgressEvent(message=f"Report finished ({words:,} words)", round=rounds))
        return ReportFinishedEvent(topic=topic, report=report, rounds=rounds,
                                   model=self._model.description)

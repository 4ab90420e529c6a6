"""ResearchWorkflow: research a topic in rounds, pause for a human review, then write the report.

Each pause is a step *returning* an `InputRequiredEvent` and another step *consuming* the
`HumanResponseEvent`, never `ctx.wait_for_event`, which would replay its step (and so the model
call) when the answer arrives. `timeout=None`: a reviewer may take hours.

Several people may answer the same pause (a team server's queue): each pause has an id kept in
the context (`open_review`, `open_failure`), the first answer to it counts and records who gave
it, and any later one is answered with a `DecisionIgnoredEvent` naming that person. The steps
that take answers have one worker, so two answers arriving together are taken one at a time.

A failed model call does not end the run: the step returns `StepFailedForReviewEvent` and the
human decides to retry it (perhaps after fixing a key) or give up, so no earlier work is lost.

Research is grounded in sources: each round searches the user's documents (`sources`) for the
topic and the reviewer's feedback, numbers the passages found, and has the notes cite them as
[1], [2]; the citations are checked before the reviewer sees the notes. With web search on
(Qwen on DashScope), the model also searches the web and the pages its search returned join the
round's sources, numbered after the passages. Sources the reviewer dropped never come back; pinned ones
always do. The report ends with References.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

from workflows import Context, Workflow, step
from workflows.events import StartEvent

from hitl_desktop.core import citations as cite
from hitl_desktop.core.citations import Citation, PassageSearch
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import Stage
from hitl_desktop.core.providers.base import ChatModel, ChatModelSource, Usage, WritesFromSources
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.text_safety import clean_text
from hitl_desktop.core.topic import validate_topic
from hitl_desktop.core.web_citations import CitedWeb, cite_web_pages
from hitl_desktop.core.workflow import prompts
from hitl_desktop.core.workflow.events import (
    DecisionIgnoredEvent,
    ProgressEvent,
    ReportDeltaEvent,
    ReportFinishedEvent,
    ReportRequestedEvent,
    ReportStartedEvent,
    ResearchDeltaEvent,
    ResearchReadyEvent,
    ResearchRequestedEvent,
    ResumeRequestedEvent,
    RetryDecisionEvent,
    ReviewDecisionEvent,
    RunStartedEvent,
    StepFailedForReviewEvent,
)

log = logging.getLogger(__name__)

PASSAGES_PER_ROUND = 8
# A reviewer's name as a progress message and the provenance show it: one line, this long at most.
REVIEWER_NAME_CHARS = 80

# ctx.store keys of the pause waiting for an answer: {"round", "id", "decided", "decided_by"}.
OPEN_REVIEW = "open_review"
OPEN_FAILURE = "open_failure"


class ResearchWorkflow(Workflow):
    def __init__(self, model_source: ChatModelSource, sources: PassageSearch | None = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("timeout", None)
        super().__init__(**kwargs)
        # A source, not a model: it is asked at each call (see ChatModelSource).
        self._model_source = model_source
        self._sources = sources

    @step
    async def begin(self, ctx: Context, ev: StartEvent) -> ResearchRequestedEvent:
        topic = _without_keys(ctx, validate_topic(str(ev.get("topic", ""))), "topic")
        await ctx.store.set("topic", topic)
        ctx.write_event_to_stream(RunStartedEvent(topic=topic))
        return ResearchRequestedEvent(round=1)

    @step
    async def research(self, ctx: Context,
                       ev: ResearchRequestedEvent) -> ResearchReadyEvent | StepFailedForReviewEvent:
        topic: str = await ctx.store.get("topic")
        await ctx.store.set("retry_research", ev.model_dump())
        ctx.write_event_to_stream(ProgressEvent(message=f"Researching round {ev.round}…", round=ev.round))
        try:
            found = await self._find_sources(ctx, topic, ev)
            model = await self._model(ctx, ev.round, search_web=True)
            if isinstance(model, WritesFromSources):
                pieces = model.research_notes(topic, found, round_number=ev.round, feedback=ev.feedback)
            else:
                pieces = model.stream_chat(prompts.research_messages(
                    topic, ev.round, ev.feedback, ev.previous_notes, found, web_search=model.use_web_search))
            notes = await self._stream(pieces, lambda d: ResearchDeltaEvent(round=ev.round, delta=d),
                                       ctx, model)
        except Exception as error:  # any failure pauses the run for a retry; nothing is thrown away
            return await _failed(ctx, Stage.RESEARCH, ev.round, error)
        problems: list[str] = []
        if model.use_web_search:
            cited = await self._cite_web_pages(ctx, notes, found, model, ev.round)
            notes, found, problems = cited.text, cited.citations, cited.problems
        problems += cite.check(notes, found)
        await ctx.store.set("notes", notes)
        await ctx.store.set("round", ev.round)
        await ctx.store.set("citations", [c.to_dict() for c in found])
        flagged = f"; {len(problems)} citation problem{'s' if len(problems) != 1 else ''} flagged" if problems else ""
        ctx.write_event_to_stream(ProgressEvent(message=f"Research round {ev.round} ready for review{flagged}",
                                                round=ev.round))
        review_id = await _open_pause(ctx, OPEN_REVIEW, ev.round)
        return ResearchReadyEvent(round=ev.round, review_id=review_id, topic=topic, notes=notes,
                                  citations=[c.to_dict() for c in found], problems=problems)

    async def _find_sources(self, ctx: Context, topic: str, ev: ResearchRequestedEvent) -> list[Citation]:
        """This round's numbered sources: pinned ones first, then the best passages for the topic
        and the feedback, never one from a dropped source."""
        pinned = [Citation.from_dict(d) for d in await ctx.store.get("pinned", default=[])]
        if self._sources is None:
            return cite.renumber(pinned)
        dropped = set(await ctx.store.get("dropped_sources", default=[]))
        query = f"{topic}\n{ev.feedback}".strip()
        hits = await asyncio.to_thread(self._sources.search, query, PASSAGES_PER_ROUND, exclude_sources=dropped)
        found = cite.renumber([*pinned, *cite.number(hit.passage for hit in hits)])
        documents = len({c.source for c in found})
        ctx.write_event_to_stream(ProgressEvent(
            message=f"Found {len(found)} passage{'s' if len(found) != 1 else ''} in {documents} "
                    f"document{'s' if documents != 1 else ''}" if found else
                    "No passage in your documents matches this topic", round=ev.round))
        return found

    @staticmethod
    async def _cite_web_pages(ctx: Context, notes: str, found: list[Citation], model: ChatModel,
                              round_number: int) -> CitedWeb:
        """The pages the model's web search returned, numbered after `found` and cited in the
        notes by those numbers; never a page the reviewer dropped."""
        dropped = set(await ctx.store.get("dropped_sources", default=[]))
        cited = cite_web_pages(notes, model.last_web_sources, found, dropped=dropped)
        pages = len(cited.citations) - len(found)
        ctx.write_event_to_stream(ProgressEvent(
            message=f"The web search found {pages} page{'s' if pages != 1 else ''} to cite" if pages
            else "The web search found no page to cite", round=round_number))
        return cited

    @step(num_workers=1)  # one decision at a time: the first claims the review (see _claim)
    async def review(self, ctx: Context,
                     ev: ReviewDecisionEvent) -> ResearchRequestedEvent | ReportRequestedEvent | None:
        reviewer = reviewer_name(ev.reviewer)
        # A context saved before reviews had ids has no open review: its last round is the one.
        if not await _claim(ctx, OPEN_REVIEW, ev.round, ev.review_id, reviewer,
                            legacy_round=await ctx.store.get("round", default=None)):
            return None
        by = f" by {reviewer}" if reviewer else ""
        notes: str = await ctx.store.get("notes")
        if ev.edited_notes is not None:
            notes = _without_keys(ctx, ev.edited_notes, "edited notes", ev.round)
        ev = ev.model_copy(update={"feedback": _without_keys(ctx, ev.feedback, "feedback", ev.round)})
        await self._remember_triage(ctx, ev)
        if ev.approved:
            edited = " with the reviewer's edits" if ev.edited_notes is not None else ""
            asked = f"; for the report: “{_shorten(ev.feedback, 80)}”" if ev.feedback.strip() else ""
            ctx.write_event_to_stream(ProgressEvent(
                message=f"Research round {ev.round} approved{by}{edited}{asked}", round=ev.round))
            return ReportRequestedEvent(notes=notes, feedback=ev.feedback.strip())
        ctx.write_event_to_stream(ProgressEvent(
            message=f"Research round {ev.round} sent back{by}: “{_shorten(ev.feedback, 80)}”", round=ev.round))
        return ResearchRequestedEvent(round=ev.round + 1, feedback=ev.feedback, previous_notes=notes)

    @staticmethod
    async def _remember_triage(ctx: Context, ev: ReviewDecisionEvent) -> None:
        dropped = set(await ctx.store.get("dropped_sources", default=[])) | set(ev.dropped_sources)
        this_round = [Citation.from_dict(d) for d in await ctx.store.get("citations", default=[])]
        pinned = {c.passage_id or c.source: c for c in
                  (Citation.from_dict(d) for d in await ctx.store.get("pinned", default=[]))}
        pinned.update((c.passage_id or c.source, c) for c in this_round if c.source in ev.pinned_sources)
        kept = [c for c in pinned.values() if c.source not in dropped]
        await ctx.store.set("dropped_sources", sorted(dropped))
        await ctx.store.set("pinned", [c.to_dict() for c in kept])
        if ev.dropped_sources or ev.pinned_sources:
            ctx.write_event_to_stream(ProgressEvent(
                message=f"Sources: {len(ev.dropped_sources)} dropped, {len(ev.pinned_sources)} pinned",
                round=ev.round))

    @step
    async def resume_requested(self, ev: ResumeRequestedEvent) -> None:
        """Nothing to do: arriving is what reloads the run (see ResumeRequestedEvent)."""
        return None

    @step
    async def write_report(self, ctx: Context,
                           ev: ReportRequestedEvent) -> ReportFinishedEvent | StepFailedForReviewEvent:
        topic: str = await ctx.store.get("topic")
        rounds: int = await ctx.store.get("round")
        await ctx.store.set("retry_report", ev.model_dump())
        dropped = set(await ctx.store.get("dropped_sources", default=[]))
        sources = [c for c in (Citation.from_dict(d) for d in await ctx.store.get("citations", default=[]))
                   if c.source not in dropped]
        ctx.write_event_to_stream(ProgressEvent(message="Writing the report…", round=rounds))
        try:
            model = await self._model(ctx, rounds)
            ctx.write_event_to_stream(ReportStartedEvent(model=model.description))
            if isinstance(model, WritesFromSources):
                pieces = model.report(topic, ev.notes, sources, feedback=ev.feedback)
            else:
                pieces = model.stream_chat(prompts.report_messages(topic, ev.notes, ev.feedback, sources))
            report = await self._stream(pieces, lambda d: ReportDeltaEvent(delta=d), ctx, model)
        except Exception as error:  # any failure pauses the run for a retry; nothing is thrown away
            return await _failed(ctx, Stage.REPORT, rounds, error)
        # References from the sources, for every marker the text uses, replacing any list the model
        # wrote itself; a report that cites no source is left as written.
        body = cite.without_references(report)
        references = cite.references(body, sources)
        if references:
            ctx.write_event_to_stream(ReportDeltaEvent(delta=f"\n\n{references}"))
            report = f"{body}\n\n{references}".strip()
        words = len(report.split())
        ctx.write_event_to_stream(ProgressEvent(message=f"Report finished ({words:,} words)", round=rounds))
        used = Usage(*await ctx.store.get("usage", default=(0, 0)))
        if used.reported:
            ctx.write_event_to_stream(ProgressEvent(message=f"Run total: {used.describe()}", round=rounds))
        return ReportFinishedEvent(topic=topic, report=report, rounds=rounds, model=model.description)

    @step(num_workers=1)  # one answer at a time, as for reviews
    async def after_failure(self, ctx: Context,
                            ev: RetryDecisionEvent) -> ResearchRequestedEvent | ReportRequestedEvent | None:
        saved = await ctx.store.get("failed", default=None)
        failed = StepFailedForReviewEvent.model_validate(saved) if saved is not None else None
        reviewer = reviewer_name(ev.reviewer)
        if not await _claim(ctx, OPEN_FAILURE, None, ev.failure_id, reviewer,
                            legacy_round=failed.round if failed is not None else None) or failed is None:
            return None
        if not ev.retry:
            raise UserFacingError(failed.message, failed.hint, ErrorKind(failed.kind))
        by = f" (asked by {reviewer})" if reviewer else ""
        ctx.write_event_to_stream(ProgressEvent(message=f"Retrying the {failed.stage}{by}…",
                                                round=failed.round))
        if failed.stage is Stage.REPORT:
            return ReportRequestedEvent(**await ctx.store.get("retry_report"))
        return ResearchRequestedEvent(**await ctx.store.get("retry_research"))

    async def _model(self, ctx: Context, round_number: int, *, search_web: bool = False) -> ChatModel:
        """A model for one call; with `search_web`, one that searches the web for it when it can
        (research does; a report must cite only what the reviewer has seen)."""
        # On a worker thread: building a model may read the OS keychain, which can wait on an
        # unlock prompt, and the UI shares this loop.
        model = await asyncio.to_thread(self._model_source)
        model.use_web_search = (search_web and model.web_search_enabled
                                and not isinstance(model, WritesFromSources))
        # Retries, token usage and replies cut by the output limit show in the progress list.
        model.on_notice = lambda text: ctx.write_event_to_stream(
            ProgressEvent(message=text, round=round_number))
        return model

    @staticmethod
    async def _stream(stream: AsyncIterator[str], to_event: Callable[[str], Any], ctx: Context,
                      model: ChatModel) -> str:
        pieces: list[str] = []
        async for delta in stream:
            pieces.append(delta)
            ctx.write_event_to_stream(to_event(delta))
        if model.last_usage.reported:
            total = Usage(*await ctx.store.get("usage", default=(0, 0)))
            total.add(model.last_usage)
            await ctx.store.set("usage", (total.input_tokens, total.output_tokens))
        return "".join(pieces).strip()


def _without_keys(ctx: Context, text: str, what: str, round_number: int = 0) -> str:
    """`text` with anything shaped like an API key (or a key the app holds) replaced, before it is
    sent to a model server; the person is told it was removed."""
    cleaned = redact(text)
    if cleaned != text:
        ctx.write_event_to_stream(ProgressEvent(
            message=f"An API key in the {what} was removed before anything was sent", round=round_number))
    return cleaned


def reviewer_name(text: str) -> str:
    """A reviewer's name as it is shown and recorded: one line, no key, not too long."""
    return _shorten(redact(clean_text(text)), REVIEWER_NAME_CHARS)


async def _open_pause(ctx: Context, key: str, round_number: int) -> str:
    """A fresh id for the pause about to be returned, kept as the one open for answers."""
    pause_id = uuid.uuid4().hex
    await ctx.store.set(key, {"round": round_number, "id": pause_id, "decided": False, "decided_by": ""})
    return pause_id


async def _claim(ctx: Context, key: str, round_number: int | None, answer_id: str, reviewer: str, *,
                 legacy_round: int | None) -> bool:
    """True if this answer is the first to the open pause, which it then claims for `reviewer`;
    otherwise says why it does not count (a DecisionIgnoredEvent) and returns False. An answer
    without an id, or without a round (retries), matches on what it carries."""
    pause = await ctx.store.get(key, default=None)
    if pause is None:  # nothing paused yet, or a context saved before pauses had ids
        if legacy_round is None:
            log.info("Ignoring a decision for round %s: no review is open", round_number)
            ctx.write_event_to_stream(DecisionIgnoredEvent(round=round_number or 0, review_id=answer_id,
                                                           reviewer=reviewer, reason="no review is open"))
            return False
        pause = {"round": legacy_round, "id": "", "decided": False, "decided_by": ""}
    # Who decided each earlier round, so a late answer to one is told who decided it.
    decided_rounds: dict[str, str] = await ctx.store.get(f"{key}_decided_by", default={})
    decided_by = pause["decided_by"]
    if pause["decided"]:
        reason = "already decided"
    elif round_number is not None and round_number != pause["round"]:
        earlier = decided_rounds.get(str(round_number))
        reason, decided_by = ("already decided", earlier) if earlier is not None else ("not the open round", "")
    elif answer_id and answer_id != pause["id"]:
        reason = "not the open review"
    else:
        await ctx.store.set(key, {**pause, "decided": True, "decided_by": reviewer})
        await ctx.store.set(f"{key}_decided_by", {**decided_rounds, str(pause["round"]): reviewer})
        return True
    log.info("Ignoring a decision for round %s: %s", round_number, reason)
    ctx.write_event_to_stream(DecisionIgnoredEvent(
        round=round_number if round_number is not None else pause["round"] or 0,
        review_id=answer_id, decided_by=decided_by, reviewer=reviewer, reason=reason))
    return False


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
                                     partial_output=error.partial_output,
                                     failure_id=await _open_pause(ctx, OPEN_FAILURE, round_number))
    await ctx.store.set("failed", event.model_dump(mode="json"))
    ctx.write_event_to_stream(ProgressEvent(message=f"The {stage} failed: {error.message}",
                                            round=round_number))
    return event

"""TeamQueue: every run on the team server, with its topic and what it is doing.

The server lists its runs (handlers) with a coarse status: running, completed, failed,
cancelled. Whether a running run waits for a review is in its event stream, so the queue follows
the stream of each running run (one task each, resuming where it left off) and keeps, per run,
its topic, round, and the sequence number of the review or failure it waits on; finished runs
are read once, for their topic. `refresh()` lists the server's runs again; `changed` is called
whenever an entry changes, from the event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from llama_agents.client import EventEnvelopeWithMetadata, HandlerData

from hitl_desktop.core.redaction import redact
from hitl_desktop.core.team import events as team_events
from hitl_desktop.core.team.client import WORKFLOW_NAME, TeamClient
from hitl_desktop.core.team.runs import QueuedRun, QueueStatus
from hitl_desktop.core.team.settings import TeamSettings

log = logging.getLogger(__name__)

_ENDED = {"completed": QueueStatus.DONE, "failed": QueueStatus.FAILED, "cancelled": QueueStatus.STOPPED}


class TeamQueue:
    def __init__(self, client: TeamClient, changed: Callable[[tuple[QueuedRun, ...]], None]) -> None:
        self._client = client
        self._changed = changed
        self._runs: dict[str, QueuedRun] = {}
        self._followers: dict[str, asyncio.Task[None]] = {}

    @property
    def settings(self) -> TeamSettings:
        """The server (and token) this queue lists."""
        return self._client.settings

    @property
    def runs(self) -> tuple[QueuedRun, ...]:
        """Newest first."""
        return tuple(sorted(self._runs.values(), key=lambda run: run.started_at, reverse=True))

    async def refresh(self) -> tuple[QueuedRun, ...]:
        """List the server's runs again; follow the running ones. Raises UserFacingError."""
        async with self._client.speaking("list its runs"):
            listed = (await self._client.workflows.get_handlers(workflow_name=[WORKFLOW_NAME])).handlers
        for handler in listed:
            self._take(handler)
        for gone in set(self._runs) - {handler.handler_id for handler in listed}:
            self._runs.pop(gone)
        self._changed(self.runs)
        return self.runs

    async def aclose(self) -> None:
        followers = list(self._followers.values())
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
        self._followers.clear()
        await self._client.aclose()

    def _take(self, handler: HandlerData) -> None:
        known = self._runs.get(handler.handler_id)
        ended = _ENDED.get(handler.status)
        if known is None:
            topic = ""
            if handler.status == "completed" and handler.result is not None:
                topic = str(handler.result.value.get("topic", ""))
            known = QueuedRun(handler.handler_id, redact(topic), ended or QueueStatus.RUNNING,
                              _parse_time(handler.started_at))
        if ended is not None:
            known = replace(known, status=ended, waiting_at=None)
        self._runs[handler.handler_id] = known
        follower = self._followers.get(handler.handler_id)
        # A running run is followed to its end; an ended one only until its topic is known.
        if (ended is None or not known.topic) and (follower is None or follower.done()):
            self._followers[handler.handler_id] = asyncio.get_running_loop().create_task(
                self._follow(handler.handler_id, until_topic=ended is not None), name="team-queue")

    async def _follow(self, run_id: str, *, until_topic: bool) -> None:
        """Keep `run_id`'s entry up to date from its event stream (a failure ends the task: the
        next refresh starts another, resuming after the last event seen)."""
        run = self._runs.get(run_id)
        if run is None:
            return
        stream = self._client.workflows.get_workflow_events(run_id, after_sequence=run.last_sequence,
                                                            max_reconnect_attempts=0)
        try:
            # Closed here, not by the garbage collector: the iterator's cleanup awaits the reader.
            async with contextlib.aclosing(aiter(stream)) as envelopes:
                async for envelope in envelopes:
                    run = self._runs.get(run_id)
                    sequence = stream.last_sequence
                    if run is None or not isinstance(sequence, int) or sequence <= run.last_sequence:
                        continue
                    run = self._runs[run_id] = _after(run, envelope, sequence)
                    self._changed(self.runs)
                    if until_topic and run.topic:
                        return
        except Exception as exc:  # the next refresh tries again; the session reports real trouble
            log.info("Stopped following run %s for the team queue: %s", run_id, type(exc).__name__)


def _after(run: QueuedRun, envelope: EventEnvelopeWithMetadata, sequence: int) -> QueuedRun:
    """`run` once its event `envelope` (number `sequence`) has happened."""
    from hitl_desktop.core.workflow import events as wf

    event = team_events.load(envelope)
    ended = run.status in _ENDED.values()  # the server's word on an ended run stands
    run = replace(run, last_sequence=sequence)
    if isinstance(event, wf.RunStartedEvent):
        return replace(run, topic=redact(event.topic))
    if isinstance(event, wf.ResearchReadyEvent):
        return replace(run, topic=run.topic or redact(event.topic), round=event.round, waiting_at=sequence,
                       status=run.status if ended else QueueStatus.WAITING_FOR_REVIEW)
    if isinstance(event, wf.StepFailedForReviewEvent):
        return replace(run, round=event.round, waiting_at=sequence,
                       status=run.status if ended else QueueStatus.WAITING_FOR_RETRY)
    if isinstance(event, wf.ReportFinishedEvent):
        return replace(run, status=QueueStatus.DONE, waiting_at=None)
    if team_events.ends_run(envelope):
        return replace(run, waiting_at=None)  # failed or stopped: the next listing says which
    if event is not None and not isinstance(event, wf.DecisionIgnoredEvent) and not ended:
        return replace(run, status=QueueStatus.RUNNING, waiting_at=None)  # it moved on
    return run


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text)

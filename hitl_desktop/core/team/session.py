"""TeamSession: one run on a team server, with the same outward face as ResearchSession.

The bridge drives it the same way: `run(topic, emit)` (or `follow(run_id, emit)` for a run
someone else started) returns the Report; `emit` gets the same plain updates; the reviewer's
ReviewDecision and RetryDecision go back through submit_decision / submit_retry, here as POSTs
to the run's events, carrying the review's id and the reviewer's name.

The event stream survives a dropped connection: the session reconnects (backing off) and
resumes after the last sequence number it saw, so no event is lost or shown twice. When the
run was mid-step, the server may be restarting: it resumes such a run only after about 30 s,
and the session says so (a ResumeOffer); `request_resume` asks it to resume the run at once. Stopping a run this session started cancels it on the server;
stopping one it follows (someone else's) or quitting the app (`keep_for_later`) only
disconnects, and the run goes on there.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from llama_agents.client import EventEnvelopeWithMetadata, HandlerData

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import (
    ProgressUpdate,
    Report,
    ResumeOffer,
    RetryDecision,
    ReviewDecision,
    ReviewRequest,
    RunUpdate,
    StepFailure,
)
from hitl_desktop.core.provenance import ProvenanceRecorder
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.run_state import RunState
from hitl_desktop.core.team import events as team_events
from hitl_desktop.core.team.client import WORKFLOW_NAME, TeamClient, is_connection_lost

if TYPE_CHECKING:
    from workflows.events import Event

    from hitl_desktop.core.workflow.events import DecisionIgnoredEvent

log = logging.getLogger(__name__)

Emit = Callable[[RunUpdate], None]


class _ResumeNow:
    """Sent ahead of the grace: ask the server to take up a run it has not reloaded yet."""


RECONNECT_DELAYS_S = (0.5, 1.0, 2.0, 4.0, 5.0)  # then every 5 s, for as long as it takes
RESUMING_NOTE = "The server is resuming this run; this can take about 30 s"
RESUME_ASKED_NOTE = "Asked the team server to resume the run now"


class TeamSession:
    def __init__(self, connect: Callable[[], TeamClient], *, reviewer: str = "",
                 provenance: ProvenanceRecorder | None = None,
                 reconnect_delays_s: Sequence[float] = RECONNECT_DELAYS_S) -> None:
        """`connect` makes the client when the run starts, on a worker thread: it may read the
        token from the OS keychain, which can wait on an unlock prompt."""
        self._connect = connect
        self._client: TeamClient | None = None
        self._reviewer = reviewer
        self._provenance = provenance or ProvenanceRecorder()
        self._delays = tuple(reconnect_delays_s)
        self._keeping = False
        self._started_here = False  # Stop cancels a run this session started, not one it follows
        self.run_id: str | None = None      # the server's handler id, once the run exists
        self.last_sequence = -1             # the last event seen: where a reconnect resumes
        self._state = RunState()
        self._resumable = False  # the run waits out the server's grace after a crash
        self._decided: dict[int, tuple[ReviewRequest, ReviewDecision]] = {}  # ours, until overruled

    @property
    def _api(self) -> TeamClient:
        assert self._client is not None, "connected when the run starts"
        return self._client

    # ----- what the bridge asks ---------------------------------------------------------------

    @property
    def pending_review(self) -> ReviewRequest | None:
        return self._state.pending

    @property
    def pending_failure(self) -> StepFailure | None:
        return self._state.failure

    @property
    def draft(self) -> Report | None:
        draft = self._state.draft()
        return self._attach(draft) if draft is not None else None

    def submit_decision(self, decision: ReviewDecision) -> bool:
        """Send the decision for the round under review (with its review id and the reviewer)."""
        taken = self._state.take_decision(replace(decision, reviewer=decision.reviewer or self._reviewer))
        if taken is None:
            log.info("Ignoring a decision for round %s: no such review is open", decision.round)
            return False
        request, decision = taken
        self._decided[decision.round] = (request, decision)
        return True

    def submit_retry(self, answer: RetryDecision) -> bool:
        return self._state.take_retry(replace(answer, reviewer=answer.reviewer or self._reviewer)) is not None

    def request_resume(self) -> bool:
        """Resume now: the run waits for a restarted server's ~30 s grace (see ResumeOffer); ask
        the server to take it up at once. False when the run is not waiting so."""
        if not self._resumable:
            return False
        self._resumable = False
        self._state.answers.put_nowait(_ResumeNow())
        return True

    def keep_for_later(self) -> None:
        """The app is quitting: disconnect, leaving the run going on the server."""
        self._keeping = True

    def save_draft(self, edited_notes: str, feedback: str) -> None:
        """Unsent answers stay on this desk: the server keeps only decisions."""

    # ----- running ----------------------------------------------------------------------------

    async def run(self, topic: str, emit: Emit) -> Report:
        """Start a run of `topic` on the server and follow it to its report."""
        self._client = await asyncio.to_thread(self._connect)
        try:
            async with self._api.speaking("start the run"):
                started = await self._api.workflows.run_workflow_nowait(
                    WORKFLOW_NAME, start_event={"topic": topic})
        except BaseException:
            await self._api.aclose()
            raise
        self.run_id = started.handler_id
        self._started_here = True
        log.info("Started run %s on the team server", self.run_id)
        return await self._drive(emit, history_until=-1, waiting_at=None)

    async def follow(self, run_id: str, emit: Emit, *, history_until: int = -1,
                     waiting_at: int | None = None) -> Report:
        """Follow a run already on the server (someone else's, say) from its first event. Events
        up to `history_until` are history: a review or failure among them is shown only if it is
        the one the run waits on now (`waiting_at`, its sequence number, from the team queue)."""
        self.run_id = run_id
        self._client = await asyncio.to_thread(self._connect)
        return await self._drive(emit, history_until=history_until, waiting_at=waiting_at)

    async def _drive(self, emit: Emit, *, history_until: int, waiting_at: int | None) -> Report:
        assert self.run_id is not None
        reading = asyncio.create_task(self._follow(emit, history_until, waiting_at), name="team-events")
        sending = asyncio.create_task(self._send_answers(emit), name="team-answers")
        try:
            done, _ = await asyncio.wait({reading, sending}, return_when=asyncio.FIRST_COMPLETED)
            if sending in done:
                sending.result()  # it only ends by failing
            report = reading.result()
        except asyncio.CancelledError:
            if self._started_here and not self._keeping:
                await self._cancel_on_server()
            raise
        finally:
            self._state.resumed()
            for task in (reading, sending):
                task.cancel()
            await asyncio.gather(reading, sending, return_exceptions=True)
            await self._api.aclose()
        return report

    async def _follow(self, emit: Emit, history_until: int, waiting_at: int | None) -> Report:
        """Read the run's events to its end, reconnecting after the last one seen when the
        connection drops."""
        import httpx

        attempt = 0
        server_was_down = False
        while True:
            try:
                if attempt:  # reconnecting: is the server back, and what is the run doing?
                    state = await self._status()
                    emit(ProgressUpdate("Reconnected to the team server"))
                    if server_was_down and state.status == "running" and not self._state.paused():
                        # Killed mid-step, the run is taken up again by the restarted server,
                        # which waits about 30 s before it does.
                        self._resumable = True
                        emit(ResumeOffer(RESUMING_NOTE))
                    attempt, server_was_down = 0, False
                report = await self._read_stream(emit, history_until, waiting_at)
                if report is not None:
                    return report
                state = await self._status()
            except Exception as exc:
                if not is_connection_lost(exc):
                    raise self._api.explain(exc, "stream the run's events") or exc
                if attempt == 0:
                    log.info("Lost the event stream of run %s: %s", self.run_id, type(exc).__name__)
                    emit(ProgressUpdate(f"Lost the connection to the team server at {self._api.where}; "
                                        "reconnecting…"))
                server_was_down = server_was_down or isinstance(exc, (httpx.ConnectError, ConnectionRefusedError))
                await asyncio.sleep(self._delays[min(attempt, len(self._delays) - 1)])
                attempt += 1
                continue
            if state.status != "running":
                return self._ended(state)
            await asyncio.sleep(self._delays[0])  # the stream closed early: open it again

    async def _read_stream(self, emit: Emit, history_until: int, waiting_at: int | None) -> Report | None:
        """Events after the last one seen, until the run's end (its Report) or the stream's
        (None: the server closed it; ask what became of the run)."""
        assert self.run_id is not None
        stream = self._api.workflows.get_workflow_events(
            self.run_id, after_sequence=self.last_sequence, max_reconnect_attempts=0)
        # Closed here, not by the garbage collector: the iterator's cleanup awaits the reader.
        async with contextlib.aclosing(aiter(stream)) as envelopes:
            async for envelope in envelopes:
                sequence = stream.last_sequence
                if not isinstance(sequence, int) or sequence <= self.last_sequence:
                    continue  # never the same event twice
                self.last_sequence = sequence
                self._resumable = False  # it moves: taken up again
                report = self._handle(envelope, emit, history=sequence <= history_until,
                                      waiting=sequence == waiting_at)
                if report is not None or team_events.ends_run(envelope):
                    return report
        return None

    def _handle(self, envelope: EventEnvelopeWithMetadata, emit: Emit, *, history: bool,
                waiting: bool) -> Report | None:
        from hitl_desktop.core.workflow import events as wf
        from hitl_desktop.core.workflow.updates import decision_ignored_message, update_for

        event = team_events.load(envelope)
        if isinstance(event, wf.ReportFinishedEvent):
            return self._attach(Report(topic=redact(event.topic), markdown=event.report, rounds=event.rounds,
                                       model=event.model))
        if isinstance(event, wf.ReportStartedEvent):
            self._state.report_model = event.model
            return None
        if isinstance(event, wf.DecisionIgnoredEvent):
            emit(ProgressUpdate(self._ignored_message(event) or
                                decision_ignored_message(event.round, event.decided_by), round=event.round))
            return None
        update = update_for(event, previous_notes=self._state.sent_back) if event is not None else None
        if isinstance(update, ReviewRequest | StepFailure) and history and not waiting:
            if isinstance(update, ReviewRequest):
                self._state.last_review = update
            return None  # decided long ago
        self._state.follow(update)
        if update is not None:
            emit(update)
        return None

    def _ignored_message(self, event: DecisionIgnoredEvent) -> str:
        """When the decision ignored was ours: say so, and forget it for the provenance."""
        ours = self._decided.get(event.round)
        if ours is None or ours[1].review_id not in ("", event.review_id) or event.decided_by == self._reviewer:
            return ""
        del self._decided[event.round]
        by = f" by {event.decided_by}" if event.decided_by.strip() else ""
        return f"Your decision on round {event.round} was not used: it was already decided{by}"

    async def _send_answers(self, emit: Emit) -> None:
        from hitl_desktop.core.workflow.events import ResumeRequestedEvent, RetryDecisionEvent
        from hitl_desktop.core.workflow.updates import decision_event

        assert self.run_id is not None
        while True:
            answer = await self._state.answers.get()
            event: Event
            if isinstance(answer, _ResumeNow):
                event = ResumeRequestedEvent()
            elif isinstance(answer, RetryDecision):
                event = RetryDecisionEvent(retry=answer.retry, failure_id=answer.failure_id,
                                           reviewer=answer.reviewer)
            else:
                event = decision_event(answer)
            attempt = 0
            while True:
                try:
                    async with self._api.speaking("take the decision"):
                        await self._send(event)
                    if isinstance(answer, _ResumeNow):
                        emit(ProgressUpdate(RESUME_ASKED_NOTE))
                    break
                except UserFacingError as error:
                    if error.kind not in (ErrorKind.NETWORK, ErrorKind.TIMEOUT):
                        raise
                    if attempt == 0:
                        emit(ProgressUpdate("The team server cannot be reached; your decision is sent "
                                            "as soon as it can"))
                    await asyncio.sleep(self._delays[min(attempt, len(self._delays) - 1)])
                    attempt += 1

    async def _send(self, event: Event) -> None:
        assert self.run_id is not None
        await self._api.workflows.send_event(self.run_id, event)

    async def _status(self) -> HandlerData:
        """The run's record on the server (its status, result or error)."""
        import httpx

        assert self.run_id is not None
        try:
            return await self._api.workflows.get_handler(self.run_id)
        except httpx.HTTPStatusError as exc:
            # A failed run is answered with status 500 and its record.
            if exc.response.status_code == 500:
                with contextlib.suppress(ValueError):
                    return HandlerData.model_validate(exc.response.json())
            raise

    def _ended(self, state: HandlerData) -> Report:
        """The Report of a run the server says has ended, or the error saying why there is none."""
        if state.status == "completed" and state.result is not None:
            value = state.result.value
            return self._attach(Report(topic=redact(str(value.get("topic", ""))), markdown=str(value.get("report", "")),
                                       rounds=int(value.get("rounds", 0)), model=str(value.get("model", ""))))
        if state.status == "cancelled":
            raise UserFacingError("The run was stopped on the team server.", "Start it again if it is still needed.",
                                  ErrorKind.SERVER)
        reason = redact(state.error or "no reason given")
        raise UserFacingError(f"The run failed on the team server: {reason}",
                              "See the server's log; start the run again when it is fixed.", ErrorKind.SERVER)

    async def _cancel_on_server(self) -> None:
        """Stop pressed: the run ends on the server too (shielded: we are being cancelled)."""
        if self.run_id is None:
            return
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.shield(asyncio.wait_for(self._api.workflows.cancel_handler(self.run_id), 5.0))

    def _attach(self, report: Report) -> Report:
        for request, decision in self._decided.values():
            self._provenance.record_decision(request, decision)
        return self._provenance.attach(report)

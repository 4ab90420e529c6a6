"""WorkflowBridge: the one object that connects the Qt widgets to the research workflow.

It owns the running sessions on the qasync loop (several runs may go at once, each known by its
run id), re-emits each session's updates as Qt signals that name the run, and passes the
reviewer's decisions back to the run they answer. Widgets see only signals and `hitl_desktop.core.models`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, Signal

from hitl_desktop.core.citations import PassageSearch
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import (
    ProgressUpdate,
    ReportDelta,
    ResearchDelta,
    RetryDecision,
    ReviewDecision,
    ReviewRequest,
    RunUpdate,
    StepFailure,
)
from hitl_desktop.core.providers import ChatModelSource, model_source_for
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings import ProviderSettings
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.core.store import RunStore
from hitl_desktop.core.topic import validate_topic
from hitl_desktop.ui.run_preload import preload_run_modules
from hitl_desktop.ui.team_queue_listing import TeamQueueListing
from hitl_desktop.ui.threads import run_on_daemon_thread

if TYPE_CHECKING:  # imported when a run starts: the window comes up without the workflow
    from hitl_desktop.core.run_recorder import RunRecorder
    from hitl_desktop.core.session import ResearchSession
    from hitl_desktop.core.team.runs import QueuedRun
    from hitl_desktop.core.team.session import TeamSession
    from hitl_desktop.core.team.settings import TeamSettings

log = logging.getLogger(__name__)

@dataclass
class _ActiveRun:
    """A run this app is driving: its session and the task that drives it."""

    topic: str
    session: ResearchSession | TeamSession  # a run here, or on the team server (team mode)
    task: asyncio.Task[None] | None = None


class WorkflowBridge(QObject):
    """Several runs may go at once (one waits for review while another researches): each is
    known by its run id (the run store's id; a made-up one when nothing is recorded), and every
    signal says which run it speaks of."""

    runStarted = Signal(str, str)      # run id, topic
    progress = Signal(str, object)     # run id, ProgressUpdate
    researchDelta = Signal(str, object)  # run id, ResearchDelta
    reviewRequested = Signal(str, object)  # run id, ReviewRequest
    reportDelta = Signal(str, str)     # run id, text
    finished = Signal(str, object)     # run id, Report
    stepFailed = Signal(str, object)   # run id, StepFailure: the run waits for retry or stop
    failed = Signal(str, object)       # run id, UserFacingError: the run has ended
    cancelled = Signal(str, object)    # run id, Report | None: the report as far as written, a draft
    runEnded = Signal(str)             # run id: finished, failed, stopped or kept for later
    runningChanged = Signal(bool)      # whether any run is going
    teamQueueChanged = Signal(object)  # tuple[QueuedRun, ...]: every run on the team server
    teamQueueFailed = Signal(object)   # UserFacingError: the team queue could not be listed

    def __init__(self, model_source: ChatModelSource | None = None, parent: QObject | None = None, *,
                 settings: SettingsService | None = None, sources: PassageSearch | None = None,
                 store: RunStore | None = None,
                 chat_model_factory: ChatModelSource | None = None) -> None:
        """Runs use `model_source`, else a model built from `settings` (the app's one
        SettingsService, which holds the keys; a new one with its own store when not given).
        Research is grounded in `sources` (the user's documents, searched each round), and each
        run is recorded in `store` (the run history), so a paused run outlives the app.
        `chat_model_factory` is `model_source`'s earlier name, kept for scripts written against it."""
        super().__init__(parent)
        self.sources = sources
        self.store = store
        self._settings = settings
        self._model_source = model_source or chat_model_factory or model_source_for(
            (settings if settings is not None else SettingsService(SecretStore())).current)
        self._runs: dict[str, _ActiveRun] = {}
        self._preloading: asyncio.Future[None] | None = None
        self._queue_listing: TeamQueueListing | None = None
        if settings is not None:  # team mode needs the settings service
            self._queue_listing = TeamQueueListing(settings, self)
            self._queue_listing.changed.connect(self.teamQueueChanged)
            self._queue_listing.failed.connect(self.teamQueueFailed)

    # ----- what is going ------------------------------------------------------------------

    @property
    def is_running(self) -> bool:
        """Whether any run is going."""
        return bool(self._runs)

    @property
    def running_count(self) -> int:
        return len(self._runs)

    @property
    def run_ids(self) -> list[str]:
        """The runs going, oldest first."""
        return list(self._runs)

    def is_active(self, run_id: str | None) -> bool:
        return run_id in self._runs

    def topic_of(self, run_id: str) -> str:
        run = self._runs.get(run_id)
        return run.topic if run is not None else ""

    def pending_review(self, run_id: str | None) -> ReviewRequest | None:
        """The round run `run_id` waits to have reviewed (None: it waits for none, or is not going)."""
        run = self._runs.get(run_id) if run_id is not None else None
        return run.session.pending_review if run is not None else None

    def pending_failure(self, run_id: str | None) -> StepFailure | None:
        """The failed step run `run_id` waits to have retried (None: none, or it is not going)."""
        run = self._runs.get(run_id) if run_id is not None else None
        return run.session.pending_failure if run is not None else None

    @property
    def keeps_runs(self) -> bool:
        """Quitting keeps a run for later (the history can be written) instead of ending it."""
        return self.store is not None and self.store.writable

    def preload(self, also: tuple[str, ...] = ()) -> asyncio.Future[None]:
        """Import the modules a run of the chosen provider needs, and those named in `also`, off
        the UI thread. A daemon thread: quitting during the imports must not wait for them."""
        self._preloading = run_on_daemon_thread(lambda: preload_run_modules(also), name="preload")
        return self._preloading

    async def _preloaded(self) -> None:
        """Wait for the preload while it imports. Importing the same modules on two threads at
        once can fail: llama-index's modules import each other in a cycle, and a thread that
        meets one another thread is still importing gets it half made (an ImportError, seen when
        a run was resumed at start-up while the preload ran)."""
        if self._preloading is not None and not self._preloading.done():
            with contextlib.suppress(Exception):  # a failed preload: the run imports for itself
                await asyncio.shield(self._preloading)

    # ----- starting -----------------------------------------------------------------------

    def start(self, topic: str) -> str:
        """Start a run and return its id. Raises UserFacingError at once for a bad topic or one
        a run is already researching."""
        topic = validate_topic(topic)
        if any(run.topic == topic for run in self._runs.values()):
            where = "Team queue" if self.team_mode else "History"
            raise UserFacingError("A run on this topic is already going.",
                                  f"Select it in the {where}, or change the topic.", ErrorKind.BAD_INPUT)
        if self.team_mode:  # the run goes on the team server; the team queue is its history
            team_session = self._team_session()
            run_id = uuid.uuid4().hex
            self._begin(run_id, _ActiveRun(topic, team_session), lambda emit: team_session.run(topic, emit))
            return run_id
        from hitl_desktop.core.session import ResearchSession

        recorder = self._recorder()
        if recorder is not None:
            recorder.started(topic)  # now, so the run is known by its stored id from the start
        run_id = (recorder.run_id if recorder is not None else None) or uuid.uuid4().hex
        session = ResearchSession(self._model_source, self.sources, recorder, self._provenance())
        self._begin(run_id, _ActiveRun(topic, session), lambda emit: session.run(topic, emit))
        return run_id

    def resume(self, run_id: str) -> str:
        """Go on with a run kept in the store: one that waited for a review or a retry waits
        again (shown with the reviewer's unsent draft); an interrupted one goes on from its last
        pause, or from its topic if it never paused. UserFacingError if it cannot."""
        from hitl_desktop.core.session import ResearchSession
        from hitl_desktop.core.store import RunStatus, request_from_json

        if run_id in self._runs:
            raise UserFacingError("That run is already going.", kind=ErrorKind.BAD_INPUT)
        if self.store is None:
            raise UserFacingError("There is no run history to resume from.", kind=ErrorKind.BAD_INPUT)
        self.store.claim(run_id)
        stored = self.store.get(run_id)
        topic = stored.summary.topic
        pending = stored.pending
        if stored.summary.status is RunStatus.INTERRUPTED:
            pending = self.store.reopen_interrupted(run_id)
            stored = self.store.get(run_id)
        elif pending is None:
            raise UserFacingError("That run is not waiting for anything.", "Start a new run.", ErrorKind.BAD_INPUT)
        session = ResearchSession(self._model_source, self.sources, self._recorder(run_id), self._provenance())
        if pending is None:  # interrupted before its first pause: research it again
            self._begin(run_id, _ActiveRun(topic, session), lambda emit: session.run(topic, emit))
            return run_id
        waiting_on = request_from_json(pending.request)
        if isinstance(waiting_on, ReviewRequest) and stored.draft is not None and stored.draft.round == waiting_on.round:
            waiting_on = replace(waiting_on, draft_notes=stored.draft.edited_notes or None,
                                 draft_feedback=stored.draft.feedback)
        self._begin(run_id, _ActiveRun(topic, session),
                    lambda emit: session.resume(waiting_on, pending.context, emit))
        return run_id

    def _recorder(self, run_id: str | None = None) -> RunRecorder | None:
        if self.store is None:
            return None
        from hitl_desktop.core.run_recorder import RunRecorder

        return RunRecorder(self.store, run_id)

    def _provenance(self):  # type: ignore[no-untyped-def]
        """How the report is made: the model and settings a run starts with (never the key)."""
        from hitl_desktop.core.provenance import ProvenanceRecorder

        if self._settings is None:
            return ProvenanceRecorder()
        return ProvenanceRecorder.for_settings(self._settings.current(with_key=False))

    def _begin(self, run_id: str, run: _ActiveRun, work) -> None:  # type: ignore[no-untyped-def]
        # Known before its task's first step: pending_review and submit_decision speak of it.
        self._runs[run_id] = run
        emit = functools.partial(self._emit, run_id)
        run.task = asyncio.get_running_loop().create_task(self._run(run_id, run, work(emit)),
                                                          name=f"research-run-{run_id[:8]}")
        self.runStarted.emit(run_id, run.topic)
        self.runningChanged.emit(True)

    # ----- answers ------------------------------------------------------------------------

    async def test_connection(self, settings: ProviderSettings) -> str:
        """One tiny real call with `settings` (the settings dialog's Test Connection button).

        Returns a sentence saying it worked; raises UserFacingError saying exactly why not.
        """
        from hitl_desktop.core.providers.connection_check import check_connection

        await self._preloaded()
        return await check_connection(settings)

    def submit_decision(self, run_id: str, decision: ReviewDecision) -> bool:
        """Pass the reviewer's decision to run `run_id`. A decision for a run that is not going,
        or for a round already answered, is ignored (False)."""
        run = self._runs.get(run_id)
        if run is None:
            log.debug("Ignoring a decision for run %s: it is not going", run_id)
            return False
        # Signed with the reviewer's name from Settings, in both modes.
        signed = replace(decision, reviewer=decision.reviewer or self._team_settings().reviewer)
        return run.session.submit_decision(signed)

    def retry(self, run_id: str) -> bool:
        """Retry the failed model call run `run_id` is waiting on."""
        run = self._runs.get(run_id)
        return run is not None and run.session.submit_retry(RetryDecision(retry=True))

    def resume_now(self, run_id: str) -> bool:
        """Ask the team server to take up run `run_id` now: killed mid-step, it would otherwise
        wait out the restarted server's ~30 s grace (the run's ResumeOffer said so). False when
        the run is not waiting so (it moved on, or it is not a team run)."""
        from hitl_desktop.core.team.session import TeamSession

        run = self._runs.get(run_id)
        return run is not None and isinstance(run.session, TeamSession) and run.session.request_resume()

    def save_draft(self, run_id: str, edited_notes: str, feedback: str) -> None:
        """The reviewer's unsent answer to run `run_id`, kept in the history as they type."""
        run = self._runs.get(run_id)
        if run is not None:
            run.session.save_draft(edited_notes, feedback)

    def stop(self, run_id: str | None = None) -> None:
        """Stop run `run_id`, or every run when None."""
        for key, run in list(self._runs.items()):
            if (run_id is None or key == run_id) and run.task is not None:
                run.task.cancel()

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Wind every run down before the app closes: kept in the history for later (a paused run
        waits on; one caught mid-step is marked interrupted), and wait until they have."""
        await self.close_team_queue()
        tasks = [run.task for run in self._runs.values() if run.task is not None and not run.task.done()]
        if not tasks:
            return
        for run in self._runs.values():
            run.session.keep_for_later()
        for task in tasks:
            task.cancel()
        with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(asyncio.gather(*tasks, return_exceptions=True)), timeout)

    # ----- team mode: runs on a team server -----------------------------------------------

    @property
    def team_mode(self) -> bool:
        """A team server is set (Settings → Team server, or HITL_DESKTOP_SERVER): runs start there."""
        return self._team_settings().team_mode

    def _team_settings(self) -> TeamSettings:
        """Address and reviewer's name (no token: that may wait on the keychain)."""
        from hitl_desktop.core.team.settings import TeamSettings

        return self._settings.team(with_token=False) if self._settings is not None else TeamSettings()

    def _team_session(self) -> TeamSession:
        from hitl_desktop.core.team.client import TeamClient
        from hitl_desktop.core.team.session import TeamSession

        settings = self._settings
        assert settings is not None, "team mode needs the settings service"
        # The client is made when the run starts, off the UI thread: the token may be in the keychain.
        return TeamSession(lambda: TeamClient(settings.team()), reviewer=self._team_settings().reviewer)

    def open_team_run(self, run: QueuedRun) -> str:
        """Follow `run` from the team queue (perhaps someone else's): its progress so far, and
        the review it waits on, which this reviewer may then decide. The id it goes by here: the
        server's, or the one it was started under when this app is already following it."""
        for run_id, active in self._runs.items():
            if run_id == run.run_id or getattr(active.session, "run_id", None) == run.run_id:
                return run_id
        session = self._team_session()
        self._begin(run.run_id, _ActiveRun(run.topic, session),
                    lambda emit: session.follow(run.run_id, emit, history_until=run.last_sequence,
                                                waiting_at=run.waiting_at))
        return run.run_id

    def refresh_team_queue(self) -> None:
        """List the team server's runs again (teamQueueChanged, or teamQueueFailed); one listing
        at a time. Nothing in local mode."""
        if self.team_mode and self._queue_listing is not None:
            self._queue_listing.refresh()

    async def close_team_queue(self) -> None:
        """Stop listing and following the team server's runs (the app or its window is closing)."""
        if self._queue_listing is not None:
            await self._queue_listing.close()

    # ----- the runs' outcomes -------------------------------------------------------------

    async def _run(self, run_id: str, run: _ActiveRun, work) -> None:  # type: ignore[no-untyped-def]
        try:
            await self._preloaded()
            report = await work
        except asyncio.CancelledError:
            log.info("Run %s was stopped", run_id)
            if self._alive():
                self.progress.emit(run_id, ProgressUpdate("Run stopped"))
                self.cancelled.emit(run_id, run.session.draft)
        except UserFacingError as error:
            _log_user_facing("The run failed", error)
            if self._alive():
                self.failed.emit(run_id, error)
        except Exception as exc:  # a bug: still tell the user, and keep the app usable
            log.exception("Unexpected failure in a run")
            if self._alive():
                self.failed.emit(run_id, UserFacingError(f"Unexpected error: {type(exc).__name__}.",
                                                         "See the log file for details.", ErrorKind.INTERNAL))
        else:
            if self._alive():
                self.finished.emit(run_id, report)
        finally:
            work.close()  # not started if stopped while the preload ran; a no-op once it ran
            self._runs.pop(run_id, None)
            if self._alive():
                self.runEnded.emit(run_id)
                self.runningChanged.emit(self.is_running)

    def _alive(self) -> bool:
        """False once Qt has deleted this object (its window went away mid-run)."""
        return shiboken6.isValid(self)

    def _emit(self, run_id: str, update: RunUpdate) -> None:
        if not self._alive():
            self.stop(run_id)  # nobody is listening any more
            return
        if isinstance(update, ProgressUpdate):
            self.progress.emit(run_id, update)
        elif isinstance(update, ResearchDelta):
            self.researchDelta.emit(run_id, update)
        elif isinstance(update, ReportDelta):
            self.reportDelta.emit(run_id, update.text)
        elif isinstance(update, ReviewRequest):
            self.reviewRequested.emit(run_id, update)
        elif isinstance(update, StepFailure):
            _log_user_facing(f"The {update.stage} failed; the run waits for Retry or Stop", update.error)
            self.stepFailed.emit(run_id, update)


def _log_user_facing(what: str, error: UserFacingError) -> None:
    """Every failure the person is shown goes into the log file too, with its kind (the file's
    handler redacts keys)."""
    log.warning("%s [%s]: %s %s", what, error.kind.value, error.message, error.hint)

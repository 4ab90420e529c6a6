"""WorkflowBridge: the one object that connects the Qt widgets to the research workflow.

It owns the running session on the qasync loop, re-emits the session's updates as Qt signals,
and passes the reviewer's decisions back. Widgets see only signals and `hitl_desktop.core.models`.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
import contextlib
import gc
import importlib
import logging

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
    validate_topic,
)
from hitl_desktop.core.providers.base import ChatModel, ChatModelSource
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings import DASHSCOPE, OPENAI_COMPATIBLE, ProviderSettings
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.core.store import RunStore
from hitl_desktop.ui.threads import run_on_daemon_thread

log = logging.getLogger(__name__)

# Imported in the background once the window is up, so the first Run does not stall the UI: what
# a run imports, for the chosen provider only (the OpenAI SDK is 0.3 s and 26 MB more).
_RUN_MODULES = ("hitl_desktop.core.sources.library", "hitl_desktop.core.session", "hitl_desktop.core.workflow.research",
                "hitl_desktop.core.providers.retry", "llama_index.core.llms",
                # What the workflow package imports only once a workflow runs.
                "workflows.plugins.basic", "workflows.runtime.control_loop.runner",
                "workflows.representation.build")
_PROVIDER_MODULES = {
    DASHSCOPE: ("hitl_desktop.core.providers.dashscope_chat", "llama_index.llms.dashscope.base",
                "llama_index.llms.dashscope.utils", "dashscope.aigc.generation", "aiohttp"),
    OPENAI_COMPATIBLE: ("hitl_desktop.core.providers.openai_compatible", "llama_index.llms.openai_like",
                        "openai", "httpx"),
}


def model_source_for(settings: SettingsService) -> ChatModelSource:
    """Each call's model, built from the settings and key `settings` holds at the time."""

    def build() -> ChatModel:
        from hitl_desktop.core.providers import build_run_model
        from hitl_desktop.core.providers.retry import RetryPolicy

        # Transient failures (429, 5xx, network) are retried with backoff, announced via on_notice.
        return build_run_model(settings.current(), RetryPolicy())

    return build


class WorkflowBridge(QObject):
    progress = Signal(object)          # ProgressUpdate
    researchDelta = Signal(object)     # ResearchDelta
    reviewRequested = Signal(object)   # ReviewRequest
    reportDelta = Signal(str)
    finished = Signal(object)          # Report
    stepFailed = Signal(object)        # StepFailure: the run waits for retry or stop
    failed = Signal(object)            # UserFacingError: the run has ended
    cancelled = Signal(object)         # Report | None: the report as far as it was written, a draft
    runningChanged = Signal(bool)
    teamQueueChanged = Signal(object)  # tuple[QueuedRun, ...]: every run on the team server
    teamQueueFailed = Signal(object)   # UserFacingError: the queue could not be listed

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
            settings if settings is not None else SettingsService(SecretStore()))
        self._task: asyncio.Task[None] | None = None
        self._session = None
        self._team_queue = None  # TeamQueue, in team mode, for the server it was made for
        self._queue_task: asyncio.Task[None] | None = None

    @property
    def is_running(self) -> bool:
        return self._task is not None and not self._task.done()

    @property
    def pending_review(self) -> ReviewRequest | None:
        return self._session.pending_review if self._session and self.is_running else None

    def preload(self) -> asyncio.Future[None]:
        """Import the modules a run of the chosen provider needs, off the UI thread. A daemon
        thread: quitting during the imports must not wait for them."""
        return run_on_daemon_thread(_preload_run_modules, name="preload")

    def start(self, topic: str) -> None:
        """Start a run. Raises UserFacingError at once for a bad topic or when a run is going."""
        topic = validate_topic(topic)
        if self.is_running:
            raise UserFacingError("A run is already in progress.", "Stop it first.", ErrorKind.BAD_INPUT)
        from hitl_desktop.core.session import ResearchSession

        # Made here, not in the task: between now and the task's first step, pending_review and
        # submit_decision must already speak of this run, not the previous one.
        if self.team_mode:
            self._session = self._team_session()
        else:
            self._session = ResearchSession(self._model_source, self.sources, self._recorder(), self._provenance())
        self._begin(self._session.run(topic, self._emit))

    def resume(self, run_id: str) -> None:
        """Go on with a run kept in the store while it waited for a review or a retry; what it
        waits on is shown again, with the reviewer's unsent draft. UserFacingError if it cannot."""
        if self.is_running:
            raise UserFacingError("A run is already in progress.", "Finish it, or quit: it is kept.",
                                  ErrorKind.BAD_INPUT)
        from hitl_desktop.core.session import ResearchSession
        from hitl_desktop.core.store import request_from_json

        if self.store is None:
            raise UserFacingError("There is no run history to resume from.", kind=ErrorKind.BAD_INPUT)
        self.store.claim(run_id)
        stored = self.store.get(run_id)
        if stored.pending is None:
            raise UserFacingError("That run is not waiting for anything.", "Start a new run.", ErrorKind.BAD_INPUT)
        waiting_on = request_from_json(stored.pending.request)
        if isinstance(waiting_on, ReviewRequest) and stored.draft is not None and stored.draft.round == waiting_on.round:
            waiting_on = replace(waiting_on, draft_notes=stored.draft.edited_notes or None,
                                 draft_feedback=stored.draft.feedback)
        self._session = ResearchSession(self._model_source, self.sources, self._recorder(run_id),
                                        self._provenance())
        self._begin(self._session.resume(waiting_on, stored.pending.context, self._emit))

    def save_draft(self, edited_notes: str, feedback: str) -> None:
        """The reviewer's unsent answer, kept in the history as they type."""
        if self._session is not None and self.is_running:
            self._session.save_draft(edited_notes, feedback)

    @property
    def keeps_runs(self) -> bool:
        """Quitting keeps a run for later (the history can be written) instead of ending it."""
        return self.store is not None and self.store.writable

    def _recorder(self, run_id: str | None = None):  # type: ignore[no-untyped-def]
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

    def _begin(self, work) -> None:  # type: ignore[no-untyped-def]
        self._task = asyncio.get_running_loop().create_task(self._run(work), name="research-run")
        self.runningChanged.emit(True)

    @property
    def pending_failure(self) -> StepFailure | None:
        return self._session.pending_failure if self._session and self.is_running else None

    async def test_connection(self, settings: ProviderSettings) -> str:
        """One tiny real call with `settings` (the settings dialog's Test Connection button).

        Returns a sentence saying it worked; raises UserFacingError saying exactly why not.
        """
        from hitl_desktop.core.providers.connection_check import check_connection

        return await check_connection(settings)

    def submit_decision(self, decision: ReviewDecision) -> bool:
        """Pass the decision on, signed with the reviewer's name from Settings."""
        decision = replace(decision, reviewer=decision.reviewer or self._team_settings().reviewer)
        return self._session is not None and self._session.submit_decision(decision)

    # ----- team mode: runs on a team server ---------------------------------------------------

    @property
    def team_mode(self) -> bool:
        """A team server is set (Settings → Team server, or HITL_DESKTOP_SERVER): runs start there."""
        return self._team_settings().team_mode

    def _team_settings(self):  # type: ignore[no-untyped-def]
        from hitl_desktop.core.team.settings import TeamSettings

        return self._settings.team(with_token=False) if self._settings is not None else TeamSettings()

    def _team_client(self):  # type: ignore[no-untyped-def]
        """A client for the team server (reads the token: call it off the UI thread)."""
        from hitl_desktop.core.team.client import TeamClient

        assert self._settings is not None
        return TeamClient(self._settings.team())

    def _team_session(self):  # type: ignore[no-untyped-def]
        from hitl_desktop.core.team.session import TeamSession

        return TeamSession(self._team_client, reviewer=self._team_settings().reviewer)

    def open_team_run(self, run) -> None:  # type: ignore[no-untyped-def]
        """Follow `run` (a QueuedRun, perhaps someone else's) in the window: its progress so
        far, and the review it waits on, which this reviewer may then decide."""
        if self.is_running:
            raise UserFacingError("A run is already in progress.", "Finish or stop it first.", ErrorKind.BAD_INPUT)
        self._session = self._team_session()
        self._begin(self._session.follow(run.run_id, self._emit, history_until=run.last_sequence,
                                         waiting_at=run.waiting_at))

    def refresh_team_queue(self) -> None:
        """List the team server's runs again (teamQueueChanged, or teamQueueFailed); one listing
        at a time. Nothing in local mode."""
        if not self.team_mode or (self._queue_task is not None and not self._queue_task.done()):
            return
        self._queue_task = asyncio.get_running_loop().create_task(self._refresh_team_queue(), name="team-queue")

    async def _refresh_team_queue(self) -> None:
        from hitl_desktop.core.team.client import TeamClient
        from hitl_desktop.core.team.queue import TeamQueue

        settings = await asyncio.to_thread(self._settings.team) if self._settings is not None else None
        if settings is None or not settings.team_mode:
            return
        queue = self._team_queue
        if queue is None or queue.settings != settings:  # first listing, or Settings changed the server
            await self._close_queue()
            queue = self._team_queue = TeamQueue(TeamClient(settings), self._on_team_queue)
        try:
            await queue.refresh()
        except UserFacingError as error:
            if self._alive():
                self.teamQueueFailed.emit(error)

    def _on_team_queue(self, runs) -> None:  # type: ignore[no-untyped-def]
        if self._alive():
            self.teamQueueChanged.emit(runs)

    async def close_team_queue(self) -> None:
        """Stop listing and following the team server's runs (the app or its window is closing)."""
        listing = self._queue_task
        if listing is not None and not listing.done():
            listing.cancel()
            await asyncio.gather(listing, return_exceptions=True)
        await self._close_queue()

    async def _close_queue(self) -> None:
        queue, self._team_queue = self._team_queue, None
        if queue is not None:
            await queue.aclose()

    def retry(self) -> bool:
        """Retry the failed model call the run is waiting on."""
        return self._session is not None and self._session.submit_retry(RetryDecision(retry=True))

    def stop(self) -> None:
        if self.is_running:
            assert self._task is not None
            self._task.cancel()

    async def shutdown(self, timeout: float = 10.0) -> None:
        """Wind any run down before the app closes: kept in the history for later (a paused run
        waits on; one caught mid-step is marked interrupted), and wait until it has."""
        await self.close_team_queue()
        task = self._task
        if task is None or task.done():
            return
        if self._session is not None:
            self._session.keep_for_later()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(task), timeout)

    async def _run(self, work) -> None:  # type: ignore[no-untyped-def]
        assert self._session is not None
        try:
            report = await work
        except asyncio.CancelledError:
            log.info("The run was stopped")
            if self._alive():
                self.progress.emit(ProgressUpdate("Run stopped"))
                self.cancelled.emit(self._session.draft)
        except UserFacingError as error:
            _log_user_facing("The run failed", error)
            if self._alive():
                self.failed.emit(error)
        except Exception as exc:  # a bug: still tell the user, and keep the app usable
            log.exception("Unexpected failure in a run")
            if self._alive():
                self.failed.emit(UserFacingError(f"Unexpected error: {type(exc).__name__}.",
                                                 "See the log file for details.", ErrorKind.INTERNAL))
        else:
            if self._alive():
                self.finished.emit(report)
        finally:
            self._task = None
            if self._alive():
                self.runningChanged.emit(False)

    def _alive(self) -> bool:
        """False once Qt has deleted this object (its window went away mid-run)."""
        return shiboken6.isValid(self)

    def _emit(self, update: RunUpdate) -> None:
        if not self._alive():
            self.stop()  # nobody is listening any more
            return
        if isinstance(update, ProgressUpdate):
            self.progress.emit(update)
        elif isinstance(update, ResearchDelta):
            self.researchDelta.emit(update)
        elif isinstance(update, ReportDelta):
            self.reportDelta.emit(update.text)
        elif isinstance(update, ReviewRequest):
            self.reviewRequested.emit(update)
        elif isinstance(update, StepFailure):
            _log_user_facing(f"The {update.stage} failed; the run waits for Retry or Stop", update.error)
            self.stepFailed.emit(update)


def _log_user_facing(what: str, error: UserFacingError) -> None:
    """Every failure the person is shown goes into the log file too, with its kind (the file's
    handler redacts keys)."""
    log.warning("%s [%s]: %s %s", what, error.kind.value, error.message, error.hint)


def _preload_run_modules() -> None:
    from hitl_desktop.core.settings import load_settings

    try:
        provider = load_settings(with_key=False).provider
    except Exception:  # a damaged settings file is reported when a run reads it
        provider = DASHSCOPE
    _import_all(_RUN_MODULES + _PROVIDER_MODULES.get(provider, ()))


def _import_all(names: tuple[str, ...]) -> None:
    """Import `names`, without garbage collection meanwhile. A full collection walks every object
    the imports have made so far, holding the GIL throughout: 60-140 ms in which the UI thread
    cannot run (measured, three times in a preload). Afterwards the imported objects are frozen
    (they live as long as the process), so later full collections skip them too."""
    gc.disable()
    try:
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # preloading is an optimisation; the real import will report problems
                log.debug("Preloading %s failed", name, exc_info=True)
    finally:
        gc.freeze()
        gc.enable()

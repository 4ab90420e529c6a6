"""llama-agents-server's SQLite store with its statements off the server's event loop.

The library's store (0.8) runs each statement and commit synchronously inside its coroutines, so
the loop that serves every request and stream does nothing else meanwhile: a commit that meets a
WAL checkpoint or a busy disk stalls them all. Here one thread owns the store's one connection
and runs every statement on it, in the order they were asked for; the loop awaits the results.

A streamed event is queued for that thread rather than awaited (see `append_event`): the thread
commits the events queued meanwhile in one transaction. Nothing can get ahead of them: a tick,
a status or a stream's read asked for later runs on the same thread after them, so a client is
only ever shown committed events, and a run paused for review has its review on disk before its
pause is. What a SIGKILL can lose is only what no one has read yet and the run has not gone past.

The library's own coroutines are reused, not rewritten: they never suspend (every statement in
them is synchronous), so the writer thread runs each one to completion in a single step. The
event INSERT is ours, to batch it and to wake the run's streams on the loop afterwards.
tests/server/test_team_server_stores.py pins the library hooks this relies on (llama-agents-server
is held below 0.9).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections import deque
from collections.abc import AsyncIterator, Callable, Coroutine
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from llama_agents.client.protocol.serializable_events import EventEnvelopeWithMetadata
from llama_agents.server import HandlerQuery, PersistentHandler, SqliteWorkflowStore
from llama_agents.server._store.abstract_workflow_store import StoredEvent, StoredTick
from llama_agents.server._store.sqlite.sqlite_state_store import SqliteStateStore, _SqliteStateStorage
from workflows.context.serializers import BaseSerializer
from workflows.context.state_store import StateStoreFacade

from hitl_desktop.server.event_pages import PagedEventStream

T = TypeVar("T")
log = logging.getLogger(__name__)

# The library's statement, with the sequence taken in the same statement so that it is the
# next one even if another writer (a second store on the file) appended meanwhile.
_INSERT_EVENT = """INSERT INTO events (run_id, sequence, timestamp, event_json)
    VALUES (?, COALESCE((SELECT MAX(sequence) FROM events WHERE run_id = ?), -1) + 1, CURRENT_TIMESTAMP, ?)"""


class SuspendedOnWriterThread(RuntimeError):
    """A store coroutine awaited something: it cannot be finished on the writer thread."""


def finish(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that never suspends to its end, here, without an event loop."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    coroutine.close()
    raise SuspendedOnWriterThread(f"{coroutine.__qualname__} awaited: it needs the event loop")


class WriterThread:
    """The one thread that opens, owns and uses the store's connection (sqlite3 connections are
    bound to the thread that made them: any use from the loop would raise, not race)."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sqlite-store")

    def call(self, function: Callable[..., T], *args: Any) -> T:
        """`function(*args)` on the thread, waited for here: for start-up and the store's one
        synchronous method, never for a stream's writes."""
        return self._executor.submit(function, *args).result()

    async def run(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.wrap_future(self._executor.submit(function, *args))

    def submit(self, function: Callable[..., object], *args: Any) -> None:
        """`function(*args)` on the thread after everything asked before it, not waited for (its
        errors are its own to report). At exit the thread finishes what was submitted."""
        self._executor.submit(function, *args)

    async def finish(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """One of the library's coroutines, run on the thread (see `finish`)."""
        future: Future[T] = self._executor.submit(finish, coroutine)
        # A request cancelled before its turn never runs its coroutine: close it, quietly.
        future.add_done_callback(lambda done: coroutine.close() if done.cancelled() else None)
        return await asyncio.wrap_future(future)


def _open_wal(db_path: str) -> sqlite3.Connection:
    connection = sqlite3.connect(db_path, timeout=30.0)
    connection.execute("PRAGMA journal_mode=WAL")  # kept in the file from now on
    # A commit is a write to the WAL, no fsync: survives the process being killed, not a power
    # cut. The WAL's checkpoints run inside commits, so on this thread too.
    connection.execute("PRAGMA synchronous=NORMAL")
    return connection


class _StateOnWriterThread:
    """A run's state rows (its ctx.store), read and written on the writer thread."""

    def __init__(self, storage: _SqliteStateStorage, writer: WriterThread) -> None:
        self._storage = storage
        self._writer = writer

    @property
    def run_id(self) -> str:
        return self._storage.run_id

    async def load(self) -> Any:
        return await self._writer.finish(self._storage.load())

    async def save(self, record: Any) -> None:
        await self._writer.finish(self._storage.save(record))

    async def copy_from_handle(self, handle: Any) -> None:
        await self._writer.finish(self._storage.copy_from_handle(handle))

    @asynccontextmanager
    async def session(self) -> AsyncIterator[_StateOnWriterThread]:
        yield self  # one connection: a session is the storage itself, as in the library

    def to_handle(self) -> dict[str, Any]:
        return self._storage.to_handle()

    def parse_own_handle(self, payload: dict[str, Any]) -> Any:
        return self._storage.parse_own_handle(payload)


class _SqliteStateOnWriterThread(SqliteStateStore[Any]):
    """Still a SqliteStateStore (the server recognises its state by that type)."""

    def __init__(self, db_path: str, storage: _StateOnWriterThread, state_type: type[Any] | None,
                 serializer: BaseSerializer | None) -> None:
        self._db_path = db_path
        StateStoreFacade.__init__(self, storage, state_type, serializer)  # type: ignore[arg-type]


class WalSqliteWorkflowStore(PagedEventStream, SqliteWorkflowStore):
    """The SQLite store on one WAL connection (its `single_connection` mode: only this process
    opens the file), every statement on the writer thread."""

    def __init__(self, db_path: str) -> None:
        self._writer = WriterThread()
        # Events not yet committed, oldest first: appended on the loop, taken on the writer thread.
        self._events: deque[tuple[str, str]] = deque()
        self._flush_queued = False
        super().__init__(db_path, single_connection=True)

    # The library's hook for opening its one connection (a static method it calls on the
    # instance). Not its lock-free VFS: that cannot open a WAL database and falls back.
    def _open_nolock(self, db_path: str) -> sqlite3.Connection:  # type: ignore[override]
        return self._writer.call(_open_wal, db_path)

    def _run_migrations(self) -> None:
        self._writer.call(super()._run_migrations)

    async def query(self, query: HandlerQuery) -> list[PersistentHandler]:
        return await self._writer.finish(super().query(query))

    async def update(self, handler: PersistentHandler) -> None:
        await self._writer.finish(super().update(handler))

    async def delete(self, query: HandlerQuery) -> int:
        return await self._writer.finish(super().delete(query))

    async def append_event(self, run_id: str, event: EventEnvelopeWithMetadata) -> None:
        # Queued, not awaited: the server writes a run's events one at a time (each call waits
        # for the one before), so waiting for each commit would cap the stream at one commit per
        # thread round trip while thousands of chunks pile up as tasks. The writer thread commits
        # whatever has queued in one transaction; every later statement (a tick, a status, a
        # stream's read) runs after it on the same thread, so nothing reads or records past an
        # event that is not yet committed, and an event a client was shown is on disk.
        self._events.append((run_id, event.model_dump_json()))
        if not self._flush_queued:
            self._flush_queued = True
            loop = asyncio.get_running_loop()
            self._writer.submit(self._insert_events, loop)

    def _insert_events(self, loop: asyncio.AbstractEventLoop) -> None:
        self._flush_queued = False  # before taking the batch: a later event queues another flush
        batch = []
        while self._events:
            batch.append(self._events.popleft())
        if not batch:
            return
        assert self._persistent_conn is not None
        try:
            with self._persistent_conn:  # one transaction, committed (or rolled back) here
                self._persistent_conn.executemany(
                    _INSERT_EVENT, [(run_id, run_id, event_json) for run_id, event_json in batch])
        except Exception:
            log.exception("Storing %d events failed", len(batch))
            return
        try:
            loop.call_soon_threadsafe(self._wake, {run_id for run_id, _ in batch})
        except RuntimeError:  # the loop has closed (the last events, committed at exit)
            pass

    def _wake(self, run_ids: set[str]) -> None:
        """The runs' open streams read their new events now (not at the next poll)."""
        for run_id in run_ids:
            condition = self._conditions.get(run_id)
            if condition is not None:
                asyncio.ensure_future(self._notify(condition))

    @staticmethod
    async def _notify(condition: asyncio.Condition) -> None:
        async with condition:
            condition.notify_all()

    async def query_events(self, run_id: str, after_sequence: int | None = None,
                           limit: int | None = None) -> list[StoredEvent]:
        return await self._writer.finish(super().query_events(run_id, after_sequence, limit))

    async def append_tick(self, run_id: str, tick_data: dict[str, Any]) -> None:
        await self._writer.finish(super().append_tick(run_id, tick_data))

    async def get_ticks(self, run_id: str) -> list[StoredTick]:
        return await self._writer.finish(super().get_ticks(run_id))

    async def stream_ticks(self, run_id: str) -> AsyncIterator[StoredTick]:
        # The library pages through them with a read on the loop between pages; a resumed run
        # reads its ticks once, so all at once on the thread is as good.
        for tick in await self.get_ticks(run_id):
            yield tick

    def get_legacy_ctx(self, run_id: str) -> dict[str, Any] | None:
        # Synchronous in the library's protocol: asked once when an old run resumes.
        return self._writer.call(super().get_legacy_ctx, run_id)

    def _build_state_store(self, run_id: str, namespace: tuple[str, ...], state_type: type[Any] | None,
                           serializer: BaseSerializer | None) -> SqliteStateStore[Any]:
        storage = _SqliteStateStorage(self.db_path, run_id, namespace, self._persistent_conn)
        return _SqliteStateOnWriterThread(self.db_path, _StateOnWriterThread(storage, self._writer),
                                          state_type, serializer)

"""The SQLite store on its writer thread: every statement there, the library's hooks it relies
on still in place, events in order, and an event a client was shown on disk when the process is
killed the next moment."""

from __future__ import annotations

import asyncio
import inspect
import signal
import sqlite3
import subprocess
import sys
import textwrap
from datetime import datetime, timezone
from pathlib import Path

import pytest
from llama_agents.client.protocol.serializable_events import EventEnvelopeWithMetadata
from llama_agents.server import PersistentHandler, SqliteWorkflowStore
from llama_agents.server._store.sqlite.sqlite_state_store import SqliteStateStore, _SqliteStateStorage
from workflows.context.state_store import StateStoreFacade
from workflows.events import Event

from hitl_desktop.server.sqlite_store import SuspendedOnWriterThread, WalSqliteWorkflowStore, finish


class Chunk(Event):
    text: str


def envelope(text: str) -> EventEnvelopeWithMetadata:
    return EventEnvelopeWithMetadata.from_event(Chunk(text=text))


def test_the_library_hooks_the_store_overrides_are_still_there() -> None:
    """llama-agents-server 0.8's private parts this store builds on; a release that changes them
    fails here, not in a team's server."""
    init = inspect.signature(SqliteWorkflowStore.__init__).parameters
    assert "single_connection" in init
    source = inspect.getsource(SqliteWorkflowStore.__init__)
    assert "self._open_nolock(db_path)" in source and "self._run_migrations()" in source
    assert callable(SqliteWorkflowStore._run_migrations)
    assert "connection" in inspect.signature(_SqliteStateStorage.__init__).parameters
    assert "connection" in inspect.signature(SqliteStateStore.__init__).parameters
    for name in ("query", "update", "delete", "query_events", "append_tick", "get_ticks"):
        assert inspect.iscoroutinefunction(getattr(SqliteWorkflowStore, name)), name
    for name in ("_get_or_create_condition", "_is_terminal_event"):  # used by the paged event stream
        assert callable(getattr(SqliteWorkflowStore, name)), name
    for name in ("load", "save", "copy_from_handle"):
        assert inspect.iscoroutinefunction(getattr(_SqliteStateStorage, name)), name
    # The state store is built over our storage through the facade's own constructor.
    assert list(inspect.signature(StateStoreFacade.__init__).parameters)[:4] == [
        "self", "storage", "state_type", "serializer"]


def test_a_coroutine_that_suspends_is_refused_not_run_half_way() -> None:
    async def suspends() -> None:
        await asyncio.sleep(0)

    with pytest.raises(SuspendedOnWriterThread):
        finish(suspends())


def test_the_connection_belongs_to_the_writer_thread(tmp_path: Path) -> None:
    """A statement on the loop's thread would raise, not stall the loop: none can slip through."""
    store = WalSqliteWorkflowStore(str(tmp_path / "team.sqlite3"))
    assert store._persistent_conn is not None
    with pytest.raises(sqlite3.ProgrammingError):
        store._persistent_conn.execute("SELECT 1")
    with sqlite3.connect(tmp_path / "team.sqlite3") as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_events_handlers_ticks_and_state_round_trip_in_order(tmp_path: Path) -> None:
    store = WalSqliteWorkflowStore(str(tmp_path / "team.sqlite3"))

    async def story() -> None:
        for i in range(250):  # queued, not awaited: the next read still sees every one
            await store.append_event("run-1", envelope(f"chunk {i}"))
        await store.append_event("run-2", envelope("other"))
        events = await store.query_events("run-1")
        assert [e.sequence for e in events] == list(range(250))
        assert [e.event.value["text"] for e in events] == [f"chunk {i}" for i in range(250)]
        assert [e.event.value["text"] for e in await store.query_events("run-1", after_sequence=247)] == [
            "chunk 248", "chunk 249"]
        streamed = []
        async for stored in store.subscribe_events("run-1"):  # read a page at a time
            streamed.append(stored.sequence)
            if stored.sequence == 249:
                break
        assert streamed == list(range(250))

        now = datetime.now(timezone.utc)
        await store.update(PersistentHandler(handler_id="h-1", workflow_name="research", status="running",
                                             run_id="run-1", started_at=now))
        await store.update_handler_status("run-1", status="completed")
        from llama_agents.server import HandlerQuery

        [handler] = await store.query(HandlerQuery(run_id_in=["run-1"]))
        assert handler.status == "completed" and handler.completed_at is not None

        await store.append_tick("run-1", {"n": 1})
        await store.append_tick("run-1", {"n": 2})
        assert [t.tick_data for t in await store.get_ticks("run-1")] == [{"n": 1}, {"n": 2}]
        assert [t.tick_data async for t in store.stream_ticks("run-1")] == [{"n": 1}, {"n": 2}]

        state = store.create_state_store("run-1")
        assert isinstance(state, SqliteStateStore)
        await state.set("topic", "tidal power")
        assert await store.create_state_store("run-1").get("topic") == "tidal power"
        assert store.get_legacy_ctx("run-1") is None
        assert await store.delete(HandlerQuery(handler_id_in=["h-1"])) == 1

    asyncio.run(story())


def test_a_stream_waiting_for_events_is_woken_by_the_commit(tmp_path: Path) -> None:
    store = WalSqliteWorkflowStore(str(tmp_path / "team.sqlite3"))
    store.poll_interval = 3600  # only the wake-up after a commit can bring the events in

    async def story() -> list[str]:
        async def read() -> list[str]:
            seen = []
            async for stored in store.subscribe_events("run-1"):
                seen.append(stored.event.value["text"])
                if len(seen) == 3:
                    return seen
            return seen

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.05)  # the reader is waiting on its condition
        for text in ("a", "b", "c"):
            await store.append_event("run-1", envelope(text))
        return await asyncio.wait_for(reader, timeout=30)

    assert asyncio.run(story()) == ["a", "b", "c"]


SHOWN_THEN_KILLED = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {tests!r})
    from test_team_server_sqlite_store import envelope
    from hitl_desktop.server.sqlite_store import WalSqliteWorkflowStore

    async def main():
        store = WalSqliteWorkflowStore({database!r})
        for i in range(500):
            await store.append_event("run-1", envelope(f"chunk {{i}}"))
        shown = await store.query_events("run-1")  # what a client's stream would be sent
        print(len(shown), flush=True)
        await asyncio.sleep(3600)  # killed here

    asyncio.run(main())
""")


def test_events_a_client_was_shown_survive_a_sigkill_the_next_moment(tmp_path: Path) -> None:
    database = tmp_path / "team.sqlite3"
    child = subprocess.Popen([sys.executable, "-c", SHOWN_THEN_KILLED.format(
        tests=str(Path(__file__).parent), database=str(database))], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        shown = int(child.stdout.readline())
        child.send_signal(signal.SIGKILL)
    finally:
        child.kill()
        child.wait(timeout=60)
    assert shown == 500
    with sqlite3.connect(database) as after:
        stored = after.execute("SELECT COUNT(*), MAX(sequence) FROM events WHERE run_id = 'run-1'").fetchone()
    assert stored == (500, 499)

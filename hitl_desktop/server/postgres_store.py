"""llama-agents-server's PostgreSQL store, with a run's streamed events written in batches.

The server writes a run's events one at a time, each call waiting for the one before (a lock in
its runtime keeps them in order). The library's store (0.8) makes each one a pooled connection,
an INSERT and a separate NOTIFY, so a stream can go no faster than those round trips: ~450-750
chunks/s on loopback, while thousands of chunks wait as tasks. Here an event is queued and one
writer task inserts whatever has queued meanwhile in one transaction, with one NOTIFY per run.

Nothing gets ahead of a queued event: every other call of the store (a stream's read, a tick, a
status) first waits for the events queued before it to commit, so a client is only shown
committed events and a run paused for review has its review stored before its pause is. What a
crash can lose is only what no one has read yet and the run has not gone past.
tests/server/test_team_server_postgres_store.py pins the library hooks this relies on
(llama-agents-server is held below 0.9).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timezone
from typing import Any

from llama_agents.client.protocol.serializable_events import EventEnvelopeWithMetadata
from llama_agents.server import HandlerQuery, PersistentHandler

# Not exported from llama_agents.server (0.8): its module is the one way to reach it.
from llama_agents.server._store.postgres_workflow_store import PostgresWorkflowStore
from llama_agents.server._store.abstract_workflow_store import StoredEvent, StoredTick

from hitl_desktop.server.event_pages import PagedEventStream

log = logging.getLogger(__name__)


class BatchingPostgresWorkflowStore(PagedEventStream, PostgresWorkflowStore):
    def __init__(self, dsn: str) -> None:
        super().__init__(dsn)
        self._queued: list[tuple[str, datetime, str]] = []  # (run_id, when, event JSON), oldest first
        self._queued_committed: asyncio.Future[None] | None = None  # resolved once they are
        self._last_batch_committed: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None

    async def append_event(self, run_id: str, event: EventEnvelopeWithMetadata) -> None:
        self._queued.append((run_id, datetime.now(timezone.utc), event.model_dump_json()))
        if self._queued_committed is None:
            self._queued_committed = asyncio.get_running_loop().create_future()
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued(), name="postgres-store-events")

    async def _write_queued(self) -> None:
        while self._queued:
            batch, committed = self._queued, self._queued_committed
            self._queued, self._queued_committed = [], None
            self._last_batch_committed = committed
            try:
                await self._insert(batch)
            except Exception as error:  # the library would raise into the stream's task: say so
                log.exception("Storing %d events failed", len(batch))
                if committed is not None and not committed.done():
                    committed.set_exception(error)
                    committed.exception()  # reported here; a waiting reader sees it too
                continue
            if committed is not None and not committed.done():
                committed.set_result(None)

    async def _insert(self, batch: list[tuple[str, datetime, str]]) -> None:
        # The library's statement: the sequence is taken in the statement itself, after the
        # rows before it in the same transaction.
        insert = f"""
            INSERT INTO {self._events_ref} (run_id, sequence, timestamp, event_json)
            VALUES ($1, COALESCE((SELECT MAX(sequence) FROM {self._events_ref}
                                  WHERE run_id = $1::varchar), -1) + 1, $2, $3)"""
        pool = await self._ensure_pool()
        async with pool.acquire() as connection, connection.transaction():
            await connection.executemany(insert, batch)
            for run_id in dict.fromkeys(run_id for run_id, _, _ in batch):
                # Delivered at commit, to this server's streams and any other listener.
                await connection.execute("SELECT pg_notify($1, $2)", self._notify_channel, run_id)

    async def _caught_up(self) -> None:
        """Once every event queued before this call is committed (or failed: logged already)."""
        waiting = self._queued_committed or self._last_batch_committed
        if waiting is not None and not waiting.done():
            await asyncio.wait([waiting])  # not cancelled with the caller: others wait on it too

    async def query_events(self, run_id: str, after_sequence: int | None = None,
                           limit: int | None = None) -> list[StoredEvent]:
        await self._caught_up()
        return await super().query_events(run_id, after_sequence, limit)

    async def append_tick(self, run_id: str, tick_data: dict[str, Any]) -> None:
        await self._caught_up()
        await super().append_tick(run_id, tick_data)

    async def update(self, handler: PersistentHandler) -> None:
        await self._caught_up()
        await super().update(handler)

    async def query(self, query: HandlerQuery) -> list[PersistentHandler]:
        await self._caught_up()
        return await super().query(query)

    async def delete(self, query: HandlerQuery) -> int:
        await self._caught_up()
        return await super().delete(query)

    async def get_ticks(self, run_id: str) -> list[StoredTick]:
        await self._caught_up()
        return await super().get_ticks(run_id)

    async def stream_ticks(self, run_id: str) -> AsyncIterator[StoredTick]:
        await self._caught_up()
        async for tick in super().stream_ticks(run_id):
            yield tick

    async def close(self) -> None:
        """Stopped: the queued events are committed first."""
        if self._writer is not None and not self._writer.done():
            await asyncio.wait([self._writer])
        await super().close()

"""The PostgreSQL store with batched event writes, on a real PostgreSQL: the library hooks it
relies on, events in order however they were batched, every read after the events queued before
it, a stream woken by the commit, and queued events committed when the store closes."""

from __future__ import annotations

import asyncio
import inspect

from llama_agents.client.protocol.serializable_events import EventEnvelopeWithMetadata
from llama_agents.server._store.postgres_workflow_store import PostgresWorkflowStore
from workflows.events import Event

from hitl_desktop.server.postgres_store import BatchingPostgresWorkflowStore


class Chunk(Event):
    text: str


def envelope(text: str) -> EventEnvelopeWithMetadata:
    return EventEnvelopeWithMetadata.from_event(Chunk(text=text))


def test_the_library_hooks_the_store_relies_on_are_still_there() -> None:
    for name in ("_events_ref", "_notify_channel"):
        assert isinstance(inspect.getattr_static(PostgresWorkflowStore, name), property), name
    for name in ("_ensure_pool", "close", "query_events", "append_tick", "update", "query", "delete", "get_ticks"):
        assert inspect.iscoroutinefunction(getattr(PostgresWorkflowStore, name)), name
    assert "append_event" in vars(PostgresWorkflowStore)  # the one ours replaces, not extends


def test_events_stay_in_order_and_reads_wait_for_the_queued_ones(postgres_url: str) -> None:
    async def story() -> None:
        store = BatchingPostgresWorkflowStore(postgres_url)
        await store.start()
        try:
            for i in range(300):  # queued: a read right after still sees every one
                await store.append_event("run-1", envelope(f"chunk {i}"))
                if i % 97 == 0:
                    await asyncio.sleep(0)  # a batch goes out mid-way
            await store.append_event("run-2", envelope("other"))
            events = await store.query_events("run-1")
            assert [e.sequence for e in events] == list(range(300))
            assert [e.event.value["text"] for e in events] == [f"chunk {i}" for i in range(300)]
            assert [e.event.value["text"] for e in await store.query_events("run-2")] == ["other"]
        finally:
            await store.close()

    asyncio.run(story())


def test_a_waiting_stream_is_woken_and_close_commits_what_is_queued(postgres_url: str) -> None:
    async def story() -> tuple[list[str], int]:
        store = BatchingPostgresWorkflowStore(postgres_url)
        await store.start()
        store.poll_interval = 3600  # only the NOTIFY at commit can bring the events in

        async def read() -> list[str]:
            seen = []
            async for stored in store.subscribe_events("run-1"):
                seen.append(stored.event.value["text"])
                if len(seen) == 3:
                    break
            return seen

        reader = asyncio.create_task(read())
        await asyncio.sleep(0.05)  # the reader is waiting on its condition
        for text in ("a", "b", "c"):
            await store.append_event("run-1", envelope(text))
        seen = await asyncio.wait_for(reader, timeout=30)
        for i in range(50):
            await store.append_event("run-3", envelope(f"late {i}"))
        await store.close()  # straight after: nothing read them

        again = PostgresWorkflowStore(postgres_url)
        await again.start()
        try:
            return seen, len(await again.query_events("run-3"))
        finally:
            await again.close()

    assert asyncio.run(story()) == (["a", "b", "c"], 50)

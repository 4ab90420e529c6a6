"""A run's event stream read from the store a page at a time.

The library's stores (0.8) read everything after a client's cursor in one query, and the server
then parses and sends every one of those events before the loop does anything else: a client
that falls a few thousand chunks behind (or joins a long run from its start) holds the loop for
tens of milliseconds. Reading at most a page per query gives the loop back between pages. The
loop is the library's own `subscribe_events` with a limit on each read: nothing else differs.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from llama_agents.server._store.abstract_workflow_store import StoredEvent

PAGE = 100  # events parsed and sent between two turns of the loop: ~2 ms of work


class PagedEventStream:
    """Mixed into a store that has the library's `_get_or_create_condition` (SQLite, Postgres)."""

    async def subscribe_events(self, run_id: str, after_sequence: int = -1) -> AsyncIterator[StoredEvent]:
        condition: asyncio.Condition = self._get_or_create_condition(run_id)  # type: ignore[attr-defined]
        cursor = after_sequence
        while True:
            async with condition:  # held while reading, as in the library: no wake-up is missed
                page = await self.query_events(run_id, after_sequence=cursor, limit=PAGE)  # type: ignore[attr-defined]
                if not page:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(condition.wait(), timeout=self.poll_interval)  # type: ignore[attr-defined]
                    continue
            for event in page:
                yield event
                cursor = event.sequence
                if self._is_terminal_event(event):  # type: ignore[attr-defined]
                    return

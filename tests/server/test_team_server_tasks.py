"""A pending task that only a reference cycle holds (as the workflow engine holds a run paused for
review) survives a full garbage collection on the server's loop."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from hitl_desktop.server.tasks import keep_tasks_alive, pending_count


class Queues:
    """Like the engine's per-run queues: the task holds them, they hold the task."""

    task: Any = None


def paused_run(loop: asyncio.AbstractEventLoop) -> None:
    queues = Queues()
    decision: asyncio.Future[str] = loop.create_future()
    queues.decision = decision  # type: ignore[attr-defined]

    async def run() -> str:
        held = queues  # the task's own reference, and nothing else's
        return await held.decision  # type: ignore[no-any-return]

    queues.task = loop.create_task(run())


def test_a_paused_run_held_only_by_a_cycle_survives_a_full_collection() -> None:
    loop = asyncio.new_event_loop()
    try:
        keep_tasks_alive(loop)
        paused_run(loop)
        loop.run_until_complete(asyncio.sleep(0))  # the run is waiting on its decision
        gc.collect()
        [task] = [t for t in asyncio.all_tasks(loop) if t.get_coro().__qualname__.endswith("run")]  # type: ignore[union-attr]
        assert not task.done()
        task.get_coro().cr_frame.f_locals["held"].decision.set_result("approved")  # type: ignore[union-attr]
        assert loop.run_until_complete(task) == "approved"
        assert pending_count() == 0
    finally:
        loop.close()


def test_without_it_the_same_run_is_collected() -> None:
    """The control: asyncio alone keeps no reference to the paused run."""
    loop = asyncio.new_event_loop()
    try:
        paused_run(loop)
        loop.run_until_complete(asyncio.sleep(0))
        gc.collect()
        assert not [t for t in asyncio.all_tasks(loop) if t.get_coro().__qualname__.endswith("run")]  # type: ignore[union-attr]
    finally:
        loop.close()

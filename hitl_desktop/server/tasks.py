"""Every task on the server's loop kept alive until it ends.

asyncio holds tasks only weakly. The workflow engine (llama-index-workflows' BasicRuntime) keeps
a run's queues in a WeakValueDictionary and its task in those queues: a run paused for review is
then a cycle nothing else points to, and a full garbage collection that lands during the pause
destroys it ("Task was destroyed but it is pending!"): the review's decision is accepted and
never taken. Whether a collection lands there depends on what else is alive; with the store's
writes no longer piling up as tasks, it did in the benchmark. A strong set of pending tasks,
emptied as each one ends, is what asyncio's documentation asks of whoever creates tasks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Generator
from typing import Any

_PENDING: set[asyncio.Future[Any]] = set()


def _create_task(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any] | Generator[Any, None, Any],
                 **kwargs: Any) -> asyncio.Future[Any]:
    task = asyncio.Task(coro, loop=loop, **kwargs)
    _PENDING.add(task)
    task.add_done_callback(_PENDING.discard)
    return task


def keep_tasks_alive(loop: asyncio.AbstractEventLoop) -> None:
    """From now on, each task created on `loop` stays referenced until it is done."""
    loop.set_task_factory(_create_task)  # type: ignore[arg-type]


def pending_count() -> int:
    return len(_PENDING)

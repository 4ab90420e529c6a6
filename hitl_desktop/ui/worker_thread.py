"""Run a blocking job (writing report files) on a QThread and await its result on the qasync loop.

A QThread rather than a plain Python thread: it has its own Qt event dispatcher, which Qt's
text layout and PDF writer need (in a bare thread QTextDocument's timers fail). The job must not
touch widgets; building documents and writing files is what it is for.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QThread

T = TypeVar("T")

# Threads still running. A QThread object destroyed while its thread runs aborts the process;
# if the loop stops before a job ends (the app quits some other way), this keeps it alive.
_running: set[QThread] = set()


class _JobThread(QThread):
    def __init__(self, job: Callable[[], Any], deliver: Callable[[Any, BaseException | None], None]) -> None:
        super().__init__()
        self._job = job
        self._deliver = deliver

    def run(self) -> None:  # runs on the new thread
        try:
            result = self._job()
        except BaseException as exc:  # noqa: BLE001 (handed to the awaiting task, raised there)
            self._deliver(None, exc)
        else:
            self._deliver(result, None)


async def run_on_worker_thread(job: Callable[[], T], name: str = "hitl-worker") -> T:
    """`job()` on a new QThread; returns its result or raises its exception.

    The thread is always joined before this returns, also when the awaiting task is cancelled:
    a file write is finished, never abandoned half-way, and a QThread object must not be
    destroyed while it runs.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def deliver(result: T | None, error: BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody to tell
            loop.call_soon_threadsafe(settle, result, error)

    thread = _JobThread(job, deliver)
    thread.setObjectName(name)
    _running.add(thread)
    thread.start()
    try:
        return await future
    finally:
        thread.wait()  # run() has returned (or is about to): this joins at once
        _running.discard(thread)

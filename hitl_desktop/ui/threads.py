"""Blocking work off the UI thread, awaited on the qasync loop.

Two kinds, for two kinds of work:
- run_on_worker_thread: a QThread, joined before it returns. For building and writing report
  files: Qt's text layout and PDF writer need a thread with a Qt event dispatcher (in a bare
  thread QTextDocument's timers fail), and a half-written file is finished, never abandoned.
- run_on_daemon_thread: a Python daemon thread, never joined. For the keychain: an unlock
  prompt nobody answers must not keep the app from quitting (asyncio.to_thread's executor
  threads are joined at exit). Cancelling the awaiting task drops the late answer unread.

Neither job may touch widgets.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QThread

T = TypeVar("T")
_Deliver = Callable[[Any, BaseException | None], None]

# Threads still running. A QThread object destroyed while its thread runs aborts the process;
# if the loop stops before a job ends (the app quits some other way), this keeps it alive.
_running: set[QThread] = set()


def _future_and_delivery(loop: asyncio.AbstractEventLoop) -> tuple[asyncio.Future[Any], _Deliver]:
    """A future on `loop`, and a function any thread may call once with (result, error) for it."""
    future: asyncio.Future[Any] = loop.create_future()

    def settle(result: object, error: BaseException | None) -> None:
        if future.done():  # cancelled meanwhile: the answer is dropped
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)

    def deliver(result: object, error: BaseException | None) -> None:
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody to tell
            loop.call_soon_threadsafe(settle, result, error)

    return future, deliver


def _call(job: Callable[[], Any], deliver: _Deliver) -> None:
    try:
        result = job()
    except BaseException as exc:  # noqa: BLE001 (handed to the awaiting task, raised there)
        deliver(None, exc)
    else:
        deliver(result, None)


class _JobThread(QThread):
    def __init__(self, job: Callable[[], Any], deliver: _Deliver) -> None:
        super().__init__()
        self._job = job
        self._deliver = deliver

    def run(self) -> None:  # runs on the new thread
        _call(self._job, self._deliver)


async def run_on_worker_thread(job: Callable[[], T], name: str = "hitl-worker") -> T:
    """`job()` on a new QThread; returns its result or raises its exception.

    The thread is always joined before this returns, also when the awaiting task is cancelled:
    a file write is finished, never abandoned half-way, and a QThread object must not be
    destroyed while it runs.
    """
    future, deliver = _future_and_delivery(asyncio.get_running_loop())
    thread = _JobThread(job, deliver)
    thread.setObjectName(name)
    _running.add(thread)
    thread.start()
    try:
        return await future
    finally:
        thread.wait()  # run() has returned (or is about to): this joins at once
        _running.discard(thread)


def run_on_daemon_thread(job: Callable[[], T], name: str = "hitl-daemon") -> asyncio.Future[T]:
    """`job()` on a daemon thread, started on the loop's next turn; await the returned future for
    its result or exception.

    Not started at once: `Thread.start()` waits until the new thread runs, and while another
    thread imports that is a wait for the GIL (5-8 ms each at start-up, where the window attached
    its services and started two of these in one frozen stretch of 46 ms)."""
    loop = asyncio.get_running_loop()
    future, deliver = _future_and_delivery(loop)
    loop.call_soon(threading.Thread(target=_call, args=(job, deliver), name=name, daemon=True).start)
    return future

"""Runs SourceLibrary.refresh off the UI thread and reports on the UI thread.

`SourceIndexer.start(library)` reads the documents on a worker QThread; meanwhile `progress(done,
total)` is emitted (at most once per turn of the event loop, however fast files go by), then
exactly one of `finished(IndexSummary)`, `failed(UserFacingError)` or `cancelled()`. `cancel()`
asks the worker to stop at the next file; the previous index stays in use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncio
import contextlib
import logging
import threading

from PySide6.QtCore import QObject, Signal

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.sources import Cancelled, IndexSummary

if TYPE_CHECKING:
    from hitl_desktop.core.sources.library import SourceLibrary
from hitl_desktop.ui.threads import run_on_worker_thread

log = logging.getLogger(__name__)


class SourceIndexer(QObject):
    progress = Signal(int, int)  # files checked, files found
    finished = Signal(object)  # IndexSummary
    failed = Signal(object)  # UserFacingError
    cancelled = Signal()
    runningChanged = Signal(bool)  # noqa: N815 (Qt signal naming)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: asyncio.Task[None] | None = None
        self._stop = threading.Event()

    @property
    def running(self) -> bool:
        return self._task is not None

    def start(self, library: SourceLibrary) -> bool:
        """Start indexing `library`; False (and nothing happens) if indexing is already running."""
        if self._task is not None:
            return False
        self._stop = threading.Event()
        self._task = asyncio.get_running_loop().create_task(self._run(library, self._stop))
        self.runningChanged.emit(True)
        return True

    def cancel(self) -> None:
        """Ask the running refresh to stop; `cancelled` follows once it has."""
        self._stop.set()

    async def wait(self) -> None:
        """Until the current run (if any) has ended."""
        task = self._task
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(task)

    async def _run(self, library: SourceLibrary, stop: threading.Event) -> None:
        loop = asyncio.get_running_loop()
        latest: list[tuple[int, int]] = []
        pending = threading.Lock()  # held while a delivery to the UI thread is scheduled

        def deliver() -> None:
            pending.release()
            if latest and not stop.is_set():
                self.progress.emit(*latest[-1])

        def report(done: int, total: int) -> None:  # on the worker thread
            latest[:] = [(done, total)]
            if pending.acquire(blocking=False):
                try:
                    loop.call_soon_threadsafe(deliver)
                except RuntimeError:  # the loop closed: nobody is listening
                    pending.release()

        job = asyncio.ensure_future(run_on_worker_thread(
            lambda: library.refresh(progress=report, cancelled=stop.is_set),
            name="hitl-sources"))
        try:
            try:
                summary: IndexSummary = await asyncio.shield(job)
            except asyncio.CancelledError:
                # The awaiting task was cancelled (the app is closing): stop the worker first,
                # so that joining its thread does not wait for a whole refresh.
                stop.set()
                with contextlib.suppress(BaseException):
                    await job
                raise
        except Cancelled:
            self.cancelled.emit()
        except UserFacingError as error:
            self.failed.emit(error)
        except Exception as exc:  # noqa: BLE001 (a bug must not leave the panel spinning)
            log.exception("Indexing the documents failed")
            self.failed.emit(UserFacingError(
                f"Indexing the documents failed ({type(exc).__name__}).",
                "The log has the details; the documents indexed before are still used.",
                ErrorKind.INTERNAL))
        else:
            self.finished.emit(summary)
        finally:
            self._task = None
            with contextlib.suppress(RuntimeError):  # the object was deleted meanwhile
                self.runningChanged.emit(False)

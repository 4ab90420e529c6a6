"""The lock a settings save holds between reading the file and writing it back. Qt-free.

Two windows (two processes) saving at once would each read the file, merge in their own
provider's profile and write: without the lock the second write loses the first's profile.
`flock` (or `msvcrt.locking`) is per open file, so threads of one process also take a
process-wide lock first.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

log = logging.getLogger(__name__)

_THREAD_LOCK = threading.Lock()


@contextlib.contextmanager
def settings_lock(target: Path, patience_s: float) -> Iterator[None]:
    """An exclusive lock on `target`.lock between processes (and threads) for a read-merge-write.

    A lock that stays taken beyond `patience_s` (a hung process) is not waited on for ever: the
    save goes ahead unlocked, as it did before locks, and says so in the log.
    """
    with _THREAD_LOCK:  # flock is per open file: threads of one process need their own lock
        try:
            handle = open(target.with_name(target.name + ".lock"), "a+b")  # noqa: SIM115
        except OSError as exc:
            log.warning("Saving the settings without a lock: %s", exc)
            yield
            return
        with handle:
            locked = _lock_file(handle, patience_s)
            if not locked:
                log.warning("The settings lock stayed taken for %s s; saving without it", patience_s)
            try:
                yield
            finally:
                if locked:
                    _unlock_file(handle)


def _lock_file(handle, patience_s: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + patience_s
    while True:
        try:
            if os.name == "nt":
                import msvcrt

                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError:
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)


def _unlock_file(handle) -> None:  # type: ignore[no-untyped-def]
    with contextlib.suppress(OSError):
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

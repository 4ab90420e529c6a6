"""Who may write a run: each open store is an owner with a lease it keeps alive.

Every `RunStore` registers itself in the `owners` table with a random token, its process id and
host name, and refreshes `heartbeat_at` from a background thread every `lease / 4` seconds. A
run belongs to the owner whose token is in `runs.owner`. An owner is gone when its lease ran out
(no heartbeat for `lease` seconds: the process died, hung or the machine slept), or, on the same
host, when its process no longer exists (found at once, without waiting for the lease). Another
instance may read a live owner's runs but not write them; a gone owner's runs are taken over.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import sys
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from hitl_desktop.core.store.records import iso, parse_time


@dataclass(frozen=True)
class Owner:
    token: str
    pid: int
    host: str
    started_at: str

    @classmethod
    def this_process(cls) -> Owner:
        return cls(token=uuid.uuid4().hex, pid=os.getpid(), host=socket.gethostname(), started_at=iso())


def register(conn: sqlite3.Connection, owner: Owner) -> None:
    conn.execute("INSERT OR REPLACE INTO owners (token, pid, host, started_at, heartbeat_at) "
                 "VALUES (?, ?, ?, ?, ?)", (owner.token, owner.pid, owner.host, owner.started_at, iso()))


def is_alive(row: tuple[int, str, str] | None, lease_seconds: float, *, host: str) -> bool:
    """Whether an owner (its `owners` row: pid, host, heartbeat_at; None if gone) still holds its runs."""
    if row is None:
        return False
    pid, owner_host, heartbeat_at = row
    if datetime.now(timezone.utc) - parse_time(heartbeat_at) > timedelta(seconds=lease_seconds):
        return False
    return owner_host != host or process_exists(pid)


def process_exists(pid: int) -> bool:
    if pid <= 0:
        return False
    if sys.platform == "win32":
        return _windows_process_exists(pid)
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by another user
    return True


def _windows_process_exists(pid: int) -> bool:
    # os.kill on Windows terminates the process whatever the signal, so ask the kernel instead.
    import ctypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # access denied: it exists
    try:
        code = ctypes.c_ulong()
        kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


class Heartbeat:
    """A daemon thread that refreshes an owner's lease through its own connection."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], owner: Owner, interval: float) -> None:
        self._connect = connect
        self._owner = owner
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="run-store-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    def _run(self) -> None:
        conn = self._connect()
        try:
            while not self._stop.wait(self._interval):
                # A busy or failing store skips a beat; the lease outlasts several of them.
                with contextlib.suppress(sqlite3.Error):
                    register(conn, self._owner)  # re-inserts the row if a store thought it gone
        finally:
            conn.close()

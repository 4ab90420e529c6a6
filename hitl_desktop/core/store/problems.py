"""What can go wrong with the run store, as sentences a person can act on.

SQLite reports a failure as an error code; `explain` turns the codes that have a cause outside
the app (another program holding a lock, no write permission, a full disk, a damaged file) into a
UserFacingError of kind IO that says what happened and what to do.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from hitl_desktop.core.errors import ErrorKind, UserFacingError

# SQLite's primary result codes (the low byte of an extended code).
SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26


class StoreProblem(UserFacingError):
    """A run store failure with a cause outside the app."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message, hint, ErrorKind.IO)


class StoreReadOnly(StoreProblem):
    """A write to a store that was opened read-only (see `RunStore.problem` for why)."""


class StoreBusy(StoreProblem):
    """Another program held the store's write lock for longer than the busy timeout."""


class StoreDamaged(StoreProblem):
    """SQLite found the file damaged while reading or writing it."""


class RunOwnedElsewhere(StoreProblem):
    """Another running HITL Desktop owns this run: it may be read here but not changed."""

    def __init__(self, run_id: str, pid: int, host: str) -> None:
        super().__init__(f"This run is open in another HITL Desktop (process {pid} on {host}), "
                         "so it can be read here but not changed.",
                         "Continue it in that window, or quit that HITL Desktop to continue it here.")
        self.run_id = run_id


class RunNotFound(UserFacingError):
    def __init__(self, run_id: str) -> None:
        super().__init__(f"There is no run {run_id} in the history.", "It may have been deleted.",
                         ErrorKind.BAD_INPUT)
        self.run_id = run_id


def code_of(error: sqlite3.Error) -> int:
    """The primary SQLite result code of `error` (0 if SQLite gave none)."""
    return (getattr(error, "sqlite_errorcode", 0) or 0) & 0xFF


def is_damage(error: sqlite3.Error) -> bool:
    return code_of(error) in (SQLITE_CORRUPT, SQLITE_NOTADB)


def explain(error: sqlite3.Error, path: Path) -> UserFacingError:
    """The UserFacingError for a SQLite failure on the store at `path`."""
    code = code_of(error)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return StoreBusy(f"The run history ({path}) is locked by another program.",
                         "Close the program using it (another HITL Desktop, a backup or sync tool, "
                         "a database browser) and try again.")
    if code == SQLITE_READONLY:
        return StoreReadOnly(f"The run history ({path}) cannot be written: it is read-only.",
                             "Give your user write permission to the file and its folder, then "
                             "restart HITL Desktop.")
    if code == SQLITE_FULL:
        return StoreProblem("The disk holding the run history is full, so the run could not be saved.",
                            f"Free some space on the disk that holds {path.parent}.")
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return StoreDamaged(f"The run history file ({path}) is damaged.",
                            "Restart HITL Desktop: it keeps the damaged file aside and starts a new one.")
    if code in (SQLITE_CANTOPEN, SQLITE_IOERR):
        return StoreProblem(f"The run history ({path}) could not be read or written.",
                            "Check that its folder exists, is reachable and is not full.")
    return UserFacingError(f"The run history failed: {error}", kind=ErrorKind.INTERNAL)

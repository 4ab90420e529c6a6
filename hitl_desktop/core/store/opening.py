"""Opening the store file so that the app always starts, whatever state the file is in.

In order of preference: the file read-write (created, or migrated after a backup, as needed);
the file read-only when it cannot be written (permissions, a newer app's file); a fresh file
when the old one is damaged, the damaged one kept aside under a name the message gives; and, as
a last resort, an empty in-memory store, so the app runs and says its runs will not be kept.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.store import schema
from hitl_desktop.core.store.problems import (
    SQLITE_BUSY,
    SQLITE_CANTOPEN,
    SQLITE_LOCKED,
    SQLITE_READONLY,
    StoreBusy,
    StoreProblem,
    StoreReadOnly,
    code_of,
    explain,
    is_damage,
)

_CAN_NOT_WRITE = (SQLITE_READONLY, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN)


@dataclass
class Opened:
    conn: sqlite3.Connection
    writable: bool
    persistent: bool
    topic_index: bool
    problem: UserFacingError | None = None
    kept_file: Path | None = None
    backup_file: Path | None = None


def check_marker(path: Path) -> Path:
    """The file that asks the next start to check the store: SQLite found it damaged at run time."""
    return path.with_name(path.name + ".check")


def connect(path: Path | str, busy_timeout: float, *, uri: bool = False) -> sqlite3.Connection:
    """A connection in autocommit mode (transactions are explicit), usable from any thread."""
    conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None, check_same_thread=False,
                           uri=uri)
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def open_database(path: Path, *, busy_timeout: float, use_fts: bool | None) -> Opened:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return _open_file(path, busy_timeout, use_fts)
    except _Damaged as damaged:
        return _start_afresh(path, busy_timeout, use_fts, damaged.reason)
    except (sqlite3.Error, OSError) as error:
        return _read_only_or_memory(path, busy_timeout, use_fts, error)


class _Damaged(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _open_file(path: Path, busy_timeout: float, use_fts: bool | None) -> Opened:
    conn = connect(path, busy_timeout)
    try:
        try:
            version = schema.version(conn)
            empty = schema.is_empty(conn)
        except sqlite3.DatabaseError as error:
            if is_damage(error):
                raise _Damaged("damaged") from error
            raise
        if version > schema.CURRENT_VERSION:
            conn.close()
            return _read_only(path, busy_timeout, use_fts, StoreReadOnly(
                "The run history was written by a newer HITL Desktop, so it is shown read-only.",
                "Update HITL Desktop to keep new runs in it."))
        if version == 0 and not empty:
            raise _Damaged("not a run history")
        if check_marker(path).exists():
            _check_integrity(conn, path)
        conn.execute("PRAGMA journal_mode = WAL")
        # FULL: a commit is on disk before it returns, so even a power cut keeps a saved round.
        conn.execute("PRAGMA synchronous = FULL")
        backup_file = None
        can_index = use_fts is not False and schema.fts5_available(conn)
        if empty:
            schema.create(conn, topic_index=can_index)
        elif version < schema.CURRENT_VERSION:
            backup_file = schema.backup(conn, path, version)
            schema.migrate(conn, topic_index=can_index)
        return Opened(conn, writable=True, persistent=True, topic_index=_searchable(conn, use_fts),
                      backup_file=backup_file)
    except BaseException:
        conn.close()
        raise


def _check_integrity(conn: sqlite3.Connection, path: Path) -> None:
    try:
        result = conn.execute("PRAGMA quick_check").fetchall()
    except sqlite3.DatabaseError as error:
        if is_damage(error):
            raise _Damaged("damaged") from error
        raise
    if result != [("ok",)]:
        raise _Damaged("damaged")
    check_marker(path).unlink(missing_ok=True)


def _start_afresh(path: Path, busy_timeout: float, use_fts: bool | None, reason: str) -> Opened:
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    kept = path.with_name(f"{path.name}.damaged-{stamp}")
    try:
        os.replace(path, kept)
        for suffix in ("-wal", "-journal"):
            if Path(f"{path}{suffix}").exists():
                os.replace(f"{path}{suffix}", f"{kept}{suffix}")
        Path(f"{path}-shm").unlink(missing_ok=True)
        check_marker(path).unlink(missing_ok=True)
        opened = _open_file(path, busy_timeout, use_fts)
    except (OSError, sqlite3.Error, _Damaged) as error:
        return _in_memory(use_fts, StoreProblem(
            f"The run history ({path}) is {reason} and could not be replaced, so this session's runs "
            "will not be kept.", f"Move the file away or fix its folder's permissions ({error}), then "
                                 "restart HITL Desktop."))
    what = "was damaged" if reason == "damaged" else "was not a HITL Desktop run history"
    opened.problem = StoreProblem(f"The run history file {what}, so HITL Desktop started a new, empty one.",
                                  f"The old file is kept as {kept}.")
    opened.kept_file = kept
    return opened


def _read_only_or_memory(path: Path, busy_timeout: float, use_fts: bool | None,
                         error: sqlite3.Error | OSError) -> Opened:
    if isinstance(error, sqlite3.Error) and code_of(error) in _CAN_NOT_WRITE and path.exists():
        problem = explain(error, path)
        if isinstance(problem, StoreBusy):
            problem = StoreBusy(f"The run history ({path}) is locked by another program, so past runs "
                                "are shown but new runs will not be kept.",
                                "Close the program using it (a backup or sync tool, a database "
                                "browser), then restart HITL Desktop.")
        else:
            problem = read_only_problem(path)
        return _read_only(path, busy_timeout, use_fts, problem)
    problem = explain(error, path) if isinstance(error, sqlite3.Error) else None
    return _in_memory(use_fts, StoreProblem(
        f"The run history ({path}) could not be opened, so this session's runs will not be kept.",
        problem.hint if problem else f"Check that the folder can be created and written ({error})."))


def read_only_problem(path: Path) -> StoreReadOnly:
    return StoreReadOnly(f"The run history ({path}) is read-only, so past runs are shown but new "
                         "runs will not be kept.",
                         "Give your user write permission to the file and its folder, then restart "
                         "HITL Desktop.")


def _read_only(path: Path, busy_timeout: float, use_fts: bool | None, problem: UserFacingError) -> Opened:
    """The file opened for reading only; an old version is migrated in a copy held in memory."""
    last_error: sqlite3.Error | None = None
    # mode=ro needs the WAL's shared-memory file, or a folder it can be created in; immutable=1
    # reads the file as it is, without locks, when neither is there (a read-only folder).
    for query in ("mode=ro", "immutable=1"):
        conn = None
        try:
            conn = connect(f"{path.resolve().as_uri()}?{query}", busy_timeout, uri=True)
            version = schema.version(conn)
            if version == 0:  # an empty file, perhaps being created by another instance right now
                conn.close()
                return _in_memory(use_fts, problem)
            if version < schema.CURRENT_VERSION:
                memory = connect(":memory:", busy_timeout)
                conn.backup(memory)
                conn.close()
                schema.migrate(memory, topic_index=schema.fts5_available(memory))
                conn = memory
            conn.execute("PRAGMA query_only = ON")
            return Opened(conn, writable=False, persistent=True, topic_index=_searchable(conn, use_fts),
                          problem=problem)
        except sqlite3.Error as error:
            last_error = error
            if conn is not None:
                conn.close()
    return _in_memory(use_fts, StoreProblem(
        f"The run history ({path}) could not be read, so this session's runs will not be kept.",
        explain(last_error, path).hint if last_error else ""))


def _searchable(conn: sqlite3.Connection, use_fts: bool | None) -> bool:
    """Whether topic search may use the FTS5 index: asked for, in the file, and in this SQLite."""
    return use_fts is not False and schema.has_topic_index(conn) and schema.fts5_available(conn)


def _in_memory(use_fts: bool | None, problem: UserFacingError) -> Opened:
    conn = connect(":memory:", 1.0)
    can_index = use_fts is not False and schema.fts5_available(conn)
    schema.create(conn, topic_index=can_index)
    return Opened(conn, writable=True, persistent=False, topic_index=can_index, problem=problem)


def mark_for_check(path: Path) -> None:
    """Ask the next start to check the file (SQLite reported it damaged while the app ran)."""
    with contextlib.suppress(OSError):
        check_marker(path).touch()

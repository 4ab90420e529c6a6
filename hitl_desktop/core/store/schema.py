"""The store's tables, their version (`PRAGMA user_version`) and the forward migrations.

Version 1 kept a run's token usage as one JSON text (`runs.usage`) and what a paused run waits
on as one JSON object (`runs.pending`: kind, request, context), had no owners, no reviewer name
and no topic index. Version 2 splits those into columns, adds `owners`, `runs.owner`,
`decisions.reviewer` and, where SQLite has FTS5, the `runs_fts` topic index. Version 3 (current)
adds `checkpoints`: a run's last pause, kept after the pause is answered, so a run interrupted
later can go on from there.

A migration runs in one transaction after the file was copied with SQLite's backup API, so a
failed or interrupted migration leaves the old file as it was, and a copy besides.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

CURRENT_VERSION = 3

_RUNS = """
CREATE TABLE {name} (
    seq INTEGER PRIMARY KEY,              -- stable row number: the topic index points at it
    id TEXT NOT NULL UNIQUE,
    topic TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',       -- provider and model, never a key
    status TEXT NOT NULL,
    created_at TEXT NOT NULL,             -- UTC ISO 8601, fixed width
    updated_at TEXT NOT NULL,
    tokens_in INTEGER NOT NULL DEFAULT 0,
    tokens_out INTEGER NOT NULL DEFAULT 0,
    pending_kind TEXT,                    -- review | retry, with the two JSON texts below
    pending_request TEXT,
    pending_context TEXT,
    pending_at TEXT,
    owner TEXT                            -- owners.token of the app that may write it
);
"""

_RUNS_INDEXES = """
CREATE INDEX runs_newest ON runs (created_at DESC, seq DESC);
CREATE INDEX runs_by_owner ON runs (owner);
"""

_CHILDREN = """
CREATE TABLE rounds (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    notes TEXT NOT NULL,
    citations TEXT NOT NULL DEFAULT '[]', -- JSON list of Citation.to_dict()
    at TEXT NOT NULL,
    PRIMARY KEY (run_id, round)           -- an index apart from the rows: counting rounds is cheap
);
CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    approved INTEGER NOT NULL,
    feedback TEXT NOT NULL DEFAULT '',
    edited_notes TEXT,
    dropped_sources TEXT NOT NULL DEFAULT '[]',
    pinned_sources TEXT NOT NULL DEFAULT '[]',
    reviewer TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE INDEX decisions_by_run ON decisions (run_id, id);
CREATE TABLE reports (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    markdown TEXT NOT NULL,
    final INTEGER NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
CREATE TABLE progress (
    id INTEGER PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    message TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX progress_by_run ON progress (run_id, id);
CREATE TABLE drafts (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    round INTEGER NOT NULL,
    edited_notes TEXT NOT NULL DEFAULT '',
    feedback TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL
);
"""

# A run's last pause (what it waited on and the workflow context then), written with the pause
# and kept after it is answered: a run that dies mid-step resumes from here, not from its topic.
_CHECKPOINTS = """
CREATE TABLE checkpoints (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,                   -- review | retry
    request TEXT NOT NULL,
    context TEXT NOT NULL,
    at TEXT NOT NULL
);
"""

_OWNERS = """
CREATE TABLE owners (
    token TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    started_at TEXT NOT NULL,
    heartbeat_at TEXT NOT NULL
);
"""

_TOPIC_INDEX = """
CREATE VIRTUAL TABLE runs_fts USING fts5 (topic, content='runs', content_rowid='seq');
CREATE TRIGGER runs_fts_insert AFTER INSERT ON runs BEGIN
    INSERT INTO runs_fts (rowid, topic) VALUES (new.seq, new.topic);
END;
CREATE TRIGGER runs_fts_delete AFTER DELETE ON runs BEGIN
    INSERT INTO runs_fts (runs_fts, rowid, topic) VALUES ('delete', old.seq, old.topic);
END;
CREATE TRIGGER runs_fts_update AFTER UPDATE OF topic ON runs BEGIN
    INSERT INTO runs_fts (runs_fts, rowid, topic) VALUES ('delete', old.seq, old.topic);
    INSERT INTO runs_fts (rowid, topic) VALUES (new.seq, new.topic);
END;
"""


def fts5_available(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite library has FTS5 (most builds do; some system builds do not)."""
    try:
        conn.execute("CREATE VIRTUAL TABLE temp._fts5_probe USING fts5 (x)")
        conn.execute("DROP TABLE temp._fts5_probe")
        return True
    except sqlite3.OperationalError:
        return False


def has_topic_index(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'runs_fts'").fetchone() is not None


def version(conn: sqlite3.Connection) -> int:
    return conn.execute("PRAGMA user_version").fetchone()[0]


def is_empty(conn: sqlite3.Connection) -> bool:
    return conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] == 0


def create(conn: sqlite3.Connection, *, topic_index: bool) -> None:
    """Create the current schema in an empty database, in one transaction."""
    with transaction(conn):
        for script in (_RUNS.format(name="runs"), _RUNS_INDEXES, _CHILDREN, _OWNERS, _CHECKPOINTS):
            _run_script(conn, script)
        if topic_index:
            _run_script(conn, _TOPIC_INDEX)
        conn.execute(f"PRAGMA user_version = {CURRENT_VERSION}")


def backup(conn: sqlite3.Connection, path: Path, old_version: int) -> Path:
    """Copy the open database next to `path` (SQLite's online backup) and return the copy's path."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    target = path.with_name(f"{path.name}.v{old_version}-backup-{stamp}")
    copy = sqlite3.connect(target)
    try:
        conn.backup(copy)
    finally:
        copy.close()
    return target


def migrate(conn: sqlite3.Connection, *, topic_index: bool) -> None:
    """Bring the database forward to CURRENT_VERSION, one version per transaction."""
    # Rebuilding a table drops it: with foreign keys on, that would delete every child row.
    # The pragma is a no-op inside a transaction, so it is set around them.
    conn.execute("PRAGMA foreign_keys = OFF")
    try:
        while (old := version(conn)) < CURRENT_VERSION:
            with transaction(conn):
                _MIGRATIONS[old](conn, topic_index)
                problems = conn.execute("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise sqlite3.IntegrityError(f"migrating from version {old} broke references: "
                                                 f"{problems[:3]}")
                conn.execute(f"PRAGMA user_version = {old + 1}")
    finally:
        conn.execute("PRAGMA foreign_keys = ON")


def _v1_to_v2(conn: sqlite3.Connection, topic_index: bool) -> None:
    # SQLite's way to change a table's columns: build the new table, copy, drop, rename. Renaming
    # the *old* table instead would make the other tables' foreign keys follow it.
    _run_script(conn, _RUNS.format(name="runs_v2"))
    conn.execute("INSERT INTO runs_v2 (id, topic, model, status, created_at, updated_at) "
                 "SELECT id, topic, model, status, created_at, updated_at FROM runs "
                 "ORDER BY created_at, id")
    old_rows = conn.execute("SELECT id, usage, pending, updated_at FROM runs").fetchall()
    for run_id, usage_text, pending_text, updated_at in old_rows:
        usage = _json_object(usage_text)
        pending = _json_object(pending_text) if pending_text else {}
        conn.execute(
            "UPDATE runs_v2 SET tokens_in = ?, tokens_out = ?, pending_kind = ?, pending_request = ?, "
            "pending_context = ?, pending_at = ? WHERE id = ?",
            (int(usage.get("in", 0)), int(usage.get("out", 0)), pending.get("kind"),
             json.dumps(pending.get("request", {})) if pending else None,
             json.dumps(pending.get("context", {})) if pending else None,
             updated_at if pending else None, run_id))
    conn.execute("DROP TABLE runs")
    conn.execute("ALTER TABLE runs_v2 RENAME TO runs")
    _run_script(conn, _RUNS_INDEXES)
    conn.execute("ALTER TABLE decisions ADD COLUMN reviewer TEXT NOT NULL DEFAULT ''")
    _run_script(conn, _OWNERS)
    if topic_index:
        _run_script(conn, _TOPIC_INDEX)
        conn.execute("INSERT INTO runs_fts (runs_fts) VALUES ('rebuild')")


def _v2_to_v3(conn: sqlite3.Connection, _topic_index: bool) -> None:
    _run_script(conn, _CHECKPOINTS)
    # A run paused when the file was written has its pause as its checkpoint already.
    conn.execute("INSERT INTO checkpoints (run_id, kind, request, context, at) "
                 "SELECT id, pending_kind, pending_request, pending_context, pending_at FROM runs "
                 "WHERE pending_kind IS NOT NULL")


_MIGRATIONS: dict[int, Callable[[sqlite3.Connection, bool], None]] = {1: _v1_to_v2, 2: _v2_to_v3}


def _json_object(text: str | None) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run statements one by one (executescript would commit the open transaction first)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line.split("--")[0].rstrip() + "\n" if "--" in line else line
        if sqlite3.complete_statement(statement):
            conn.execute(statement)
            statement = ""
    if statement.strip():
        raise ValueError(f"unfinished SQL statement: {statement[:80]}")


class transaction:
    """BEGIN IMMEDIATE … COMMIT on a connection in autocommit mode; ROLLBACK on any error."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def __enter__(self) -> sqlite3.Connection:
        self._conn.execute("BEGIN IMMEDIATE")
        return self._conn

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self._conn.execute("COMMIT")
        elif self._conn.in_transaction:
            self._conn.execute("ROLLBACK")


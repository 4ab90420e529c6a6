"""RunStore: every run's history in one SQLite file, written so that a crash loses nothing committed.

Each method that changes a run is one transaction (BEGIN IMMEDIATE … COMMIT) that first checks
this store owns the run (`owners.py`), so a paused run's request, workflow context and status
are saved together or not at all. Reads see one consistent snapshot (WAL). Methods may be
called from any thread; calls are serialised on the one connection.
"""

from __future__ import annotations

import json
import re
import socket
import sqlite3
import threading
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from hitl_desktop.core import paths
from hitl_desktop.core.citations import Citation
from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.models import ReviewDecision
from hitl_desktop.core.store import owners, schema
from hitl_desktop.core.store.opening import (
    Opened,
    connect,
    mark_for_check,
    open_database,
    read_only_problem,
)
from hitl_desktop.core.store.problems import (
    RunNotFound,
    RunOwnedElsewhere,
    StoreReadOnly,
    explain,
    is_damage,
)
from hitl_desktop.core.store.records import (
    Draft,
    Pending,
    PendingKind,
    ProgressLine,
    Recovery,
    RunStatus,
    RunSummary,
    StoredDecision,
    StoredReport,
    StoredRound,
    StoredRun,
    Usage,
    iso,
    parse_time,
)

FILE_NAME = "runs.sqlite3"

_SUMMARY = ("SELECT id, topic, status, model, created_at, updated_at, "
            "(SELECT count(*) FROM rounds WHERE rounds.run_id = runs.id) FROM runs")
_NEWEST_FIRST = " ORDER BY created_at DESC, seq DESC LIMIT ?"


def default_path() -> Path:
    return paths.data_dir() / FILE_NAME


class RunStore:
    """Open with `RunStore.open()`; it never raises for a locked, read-only or damaged file:
    `problem` then says what happened (and `kept_file` where a damaged file went)."""

    def __init__(self, opened: Opened, path: Path, *, busy_timeout: float, lease_seconds: float,
                 heartbeat: bool) -> None:
        self.path = path
        self._conn = opened.conn
        self._lock = threading.RLock()
        self._lease = lease_seconds
        self._host = socket.gethostname()
        self.persistent = opened.persistent
        self.uses_fts = opened.topic_index
        self.problem: UserFacingError | None = opened.problem
        self.kept_file = opened.kept_file
        self.backup_file = opened.backup_file
        self.writable = opened.writable
        self.owner = owners.Owner.this_process()
        self._heartbeat: owners.Heartbeat | None = None
        if self.writable:
            self._register(busy_timeout, heartbeat)

    @classmethod
    def open(cls, path: Path | None = None, *, busy_timeout: float = 2.0, lease_seconds: float = 60.0,
             use_fts: bool | None = None, heartbeat: bool = True) -> RunStore:
        """Open (or create) the store at `path` (default: runs.sqlite3 in the user data folder).

        busy_timeout: seconds to wait for another program's lock before giving up.
        lease_seconds: how long after its last heartbeat another app's runs become free to take.
        use_fts: False searches topics with LIKE (and a new file gets no FTS index); None uses
        FTS5 where SQLite has it.
        """
        path = Path(path) if path is not None else default_path()
        opened = open_database(path, busy_timeout=busy_timeout, use_fts=use_fts)
        return cls(opened, path, busy_timeout=busy_timeout, lease_seconds=lease_seconds, heartbeat=heartbeat)

    def _register(self, busy_timeout: float, heartbeat: bool) -> None:
        try:
            with self._lock, schema.transaction(self._conn):
                owners.register(self._conn, self.owner)
        except sqlite3.Error as error:
            # Locked by another program or not writable after all: show the history read-only.
            self.writable = False
            explained = explain(error, self.path)
            self.problem = explained if not isinstance(explained, StoreReadOnly) else read_only_problem(self.path)
            self._conn.execute("PRAGMA query_only = ON")
            return
        if heartbeat and self.persistent:
            self._heartbeat = owners.Heartbeat(lambda: connect(self.path, busy_timeout), self.owner,
                                               interval=self._lease / 4)
            self._heartbeat.start()

    def close(self) -> None:
        """Give up this app's runs (another instance may take them at once) and close the file."""
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        with self._lock:
            if self._conn is None:
                return
            if self.writable:
                try:
                    with schema.transaction(self._conn):
                        self._conn.execute("UPDATE runs SET owner = NULL WHERE owner = ?", (self.owner.token,))
                        self._conn.execute("DELETE FROM owners WHERE token = ?", (self.owner.token,))
                except sqlite3.Error:
                    pass  # the lease runs out instead
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def heartbeat(self) -> None:
        """Refresh this app's lease now (a background thread also does it every lease / 4)."""
        with self._writing() as conn:
            owners.register(conn, self.owner)

    # -- writing ----------------------------------------------------------------------------

    def create_run(self, topic: str, model: str, *, at: datetime | None = None) -> str:
        """A new run, status running, owned by this app. `model` describes provider and model
        (never a key). Returns the run's id."""
        run_id = uuid.uuid4().hex
        stamp = iso(at)
        with self._writing() as conn:
            conn.execute("INSERT INTO runs (id, topic, model, status, created_at, updated_at, owner) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (run_id, topic, model, RunStatus.RUNNING, stamp, stamp, self.owner.token))
        return run_id

    def add_progress(self, run_id: str, message: str, at: datetime | None = None) -> None:
        with self._writing(run_id) as conn:
            conn.execute("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)", (run_id, message, iso(at)))

    def add_round(self, run_id: str, round: int, notes: str, citations: Sequence[Citation] = ()) -> None:
        """Keep a research round's notes and sources (a round written again replaces the old one)."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT OR REPLACE INTO rounds (run_id, round, notes, citations, at) VALUES (?, ?, ?, ?, ?)",
                         (run_id, round, notes, _json([c.to_dict() for c in citations]), iso()))

    def add_usage(self, run_id: str, tokens_in: int, tokens_out: int) -> None:
        """Add a model call's tokens to the run's totals."""
        with self._writing(run_id) as conn:
            conn.execute("UPDATE runs SET tokens_in = tokens_in + ?, tokens_out = tokens_out + ? WHERE id = ?",
                         (tokens_in, tokens_out, run_id))

    def save_pending(self, run_id: str, kind: PendingKind, request: dict[str, Any],
                     context: dict[str, Any]) -> None:
        """The run pauses: what it waits on (records.request_to_json) and the workflow context
        (ctx.to_dict()) are saved with the status (waiting_for_review or _retry) in one transaction."""
        kind = PendingKind(kind)
        request_text, context_text = _json(request), _json(context)
        with self._writing(run_id) as conn:
            conn.execute("UPDATE runs SET status = ?, pending_kind = ?, pending_request = ?, pending_context = ?, "
                         "pending_at = ? WHERE id = ?",
                         (kind.status, kind, request_text, context_text, iso(), run_id))

    def clear_pending(self, run_id: str, status: RunStatus = RunStatus.RUNNING) -> None:
        """The run is no longer paused: it resumed (running) or ended (stopped, failed…)."""
        with self._writing(run_id) as conn:
            self._clear_pending(conn, run_id, RunStatus(status))

    def save_draft(self, run_id: str, round: int, edited_notes: str, feedback: str) -> None:
        """The reviewer's unsent answer to the pending round (replaces the previous draft)."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT OR REPLACE INTO drafts (run_id, round, edited_notes, feedback, at) "
                         "VALUES (?, ?, ?, ?, ?)", (run_id, round, edited_notes, feedback, iso()))

    def record_decision(self, run_id: str, decision: ReviewDecision, reviewer: str = "",
                        at: datetime | None = None) -> None:
        """Keep the reviewer's decision; in the same transaction the draft for that round is
        dropped and the run leaves waiting_for_review for running."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT INTO decisions (run_id, round, approved, feedback, edited_notes, dropped_sources, "
                         "pinned_sources, reviewer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (run_id, decision.round, int(decision.approved), decision.feedback, decision.edited_notes,
                          _json(list(decision.dropped_sources)), _json(list(decision.pinned_sources)),
                          reviewer, iso(at)))
            conn.execute("DELETE FROM drafts WHERE run_id = ? AND round <= ?", (run_id, decision.round))
            self._clear_pending(conn, run_id, RunStatus.RUNNING)

    def save_report(self, run_id: str, markdown: str, *, final: bool, model: str = "",
                    usage: Usage | None = None) -> None:
        """Keep the run's report (replacing an earlier one). A final report marks the run done;
        `usage`, when given, sets the run's token totals."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT OR REPLACE INTO reports (run_id, markdown, final, model, at) VALUES (?, ?, ?, ?, ?)",
                         (run_id, markdown, int(final), model, iso()))
            if usage is not None:
                conn.execute("UPDATE runs SET tokens_in = ?, tokens_out = ? WHERE id = ?",
                             (usage.tokens_in, usage.tokens_out, run_id))
            if final:
                self._clear_pending(conn, run_id, RunStatus.DONE)

    def set_status(self, run_id: str, status: RunStatus) -> None:
        status = RunStatus(status)
        with self._writing(run_id) as conn:
            conn.execute("UPDATE runs SET status = ? WHERE id = ?", (status, run_id))

    def claim(self, run_id: str) -> None:
        """Make this app the run's owner (to resume it); raises RunOwnedElsewhere if another
        live app owns it."""
        with self._writing(run_id):
            pass

    def delete(self, run_id: str) -> None:
        """Remove a run and everything kept with it."""
        with self._writing(run_id) as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def recover_after_start(self) -> Recovery:
        """After start: runs left running by an app that is gone (crashed, killed, logged out) are
        marked interrupted, keeping what they wrote; gone apps' runs are released. Returns those
        runs and the runs waiting for a review or a retry that this app may resume."""
        if not self.writable:
            return Recovery((), tuple(self._waiting()))
        now = iso()
        with self._writing() as conn:
            others = conn.execute("SELECT token, pid, host, heartbeat_at FROM owners WHERE token != ?",
                                  (self.owner.token,)).fetchall()
            gone = [token for token, *row in others if not owners.is_alive(tuple(row), self._lease, host=self._host)]
            conn.executemany("DELETE FROM owners WHERE token = ?", [(token,) for token in gone])
            orphaned = f"(owner IS NULL OR owner IN ({', '.join('?' * len(gone))}))"
            interrupted = [row[0] for row in conn.execute(
                f"SELECT id FROM runs WHERE status = ? AND {orphaned}", (RunStatus.RUNNING, *gone))]
            for run_id in interrupted:
                conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?",
                             (RunStatus.INTERRUPTED, now, run_id))
                conn.execute("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)",
                             (run_id, "Interrupted: HITL Desktop stopped while this run was working.", now))
            conn.execute(f"UPDATE runs SET owner = NULL WHERE owner IS NOT NULL AND {orphaned}", gone)
        return Recovery(tuple(self._summaries(interrupted)), tuple(self._waiting()))

    # -- reading ----------------------------------------------------------------------------

    def list_runs(self, query: str = "", limit: int = 200) -> list[RunSummary]:
        """Runs newest first; with `query`, those whose topic has words starting with each of
        its words (FTS5), or containing them (LIKE, where SQLite has no FTS5)."""
        words = re.findall(r"[^\W_]+", query)
        if not words:
            return self._read(_SUMMARY + _NEWEST_FIRST, (limit,), _summary)
        if self.uses_fts:
            match = " ".join(f'"{word}"*' for word in words)
            return self._read(_SUMMARY + " WHERE seq IN (SELECT rowid FROM runs_fts WHERE runs_fts MATCH ?)"
                              + _NEWEST_FIRST, (match, limit), _summary)
        likes = " AND ".join(["topic LIKE ? ESCAPE '\\'"] * len(words))
        patterns = ["%" + re.sub(r"([\\%_])", r"\\\1", word) + "%" for word in words]
        return self._read(_SUMMARY + f" WHERE {likes}" + _NEWEST_FIRST, (*patterns, limit), _summary)

    def get(self, run_id: str) -> StoredRun:
        """Everything kept about one run; raises RunNotFound."""
        with self._reading() as conn:
            rows = [_summary(row) for row in conn.execute(_SUMMARY + " WHERE id = ?", (run_id,))]
            if not rows:
                raise RunNotFound(run_id)
            (tokens_in, tokens_out, kind, request, context, pending_at, owner) = conn.execute(
                "SELECT tokens_in, tokens_out, pending_kind, pending_request, pending_context, pending_at, owner "
                "FROM runs WHERE id = ?", (run_id,)).fetchone()
            rounds = tuple(StoredRound(n, notes, tuple(Citation.from_dict(c) for c in json.loads(cites)),
                                       parse_time(at)) for n, notes, cites, at in conn.execute(
                "SELECT round, notes, citations, at FROM rounds WHERE run_id = ? ORDER BY round", (run_id,)))
            decisions = tuple(StoredDecision(n, bool(ok), feedback, edited, tuple(json.loads(dropped)),
                                             tuple(json.loads(pinned)), reviewer, parse_time(at))
                              for n, ok, feedback, edited, dropped, pinned, reviewer, at in conn.execute(
                "SELECT round, approved, feedback, edited_notes, dropped_sources, pinned_sources, reviewer, at "
                "FROM decisions WHERE run_id = ? ORDER BY id", (run_id,)))
            report = next((StoredReport(markdown, bool(final), model, parse_time(at)) for markdown, final, model, at
                           in conn.execute("SELECT markdown, final, model, at FROM reports WHERE run_id = ?",
                                           (run_id,))), None)
            progress = tuple(ProgressLine(message, parse_time(at)) for message, at in conn.execute(
                "SELECT message, at FROM progress WHERE run_id = ? ORDER BY id", (run_id,)))
            draft = self._draft(conn, run_id)
        pending = (Pending(PendingKind(kind), json.loads(request), json.loads(context), parse_time(pending_at))
                   if kind else None)
        return StoredRun(rows[0], rounds, decisions, report, Usage(tokens_in, tokens_out), progress, pending,
                         draft, owner)

    def draft(self, run_id: str) -> Draft | None:
        """The reviewer's unsent answer to the pending round, if one was saved."""
        with self._reading() as conn:
            return self._draft(conn, run_id)

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _draft(conn: sqlite3.Connection, run_id: str) -> Draft | None:
        row = conn.execute("SELECT round, edited_notes, feedback, at FROM drafts WHERE run_id = ?", (run_id,)).fetchone()
        return Draft(row[0], row[1], row[2], parse_time(row[3])) if row else None

    @staticmethod
    def _clear_pending(conn: sqlite3.Connection, run_id: str, status: RunStatus) -> None:
        conn.execute("UPDATE runs SET status = ?, pending_kind = NULL, pending_request = NULL, "
                     "pending_context = NULL, pending_at = NULL WHERE id = ?", (status, run_id))

    def _summaries(self, run_ids: list[str]) -> list[RunSummary]:
        return [summary for run_id in run_ids for summary in self._read(_SUMMARY + " WHERE id = ?", (run_id,), _summary)]

    def _waiting(self) -> list[RunSummary]:
        rows = self._read("SELECT id, owner FROM runs WHERE status IN (?, ?) ORDER BY created_at DESC",
                          (RunStatus.WAITING_FOR_REVIEW, RunStatus.WAITING_FOR_RETRY), tuple)
        free = [run_id for run_id, owner in rows if owner is None or owner == self.owner.token
                or not self._owner_alive(owner)]
        return self._summaries(free)

    def _owner_alive(self, token: str) -> bool:
        row = self._read("SELECT pid, host, heartbeat_at FROM owners WHERE token = ?", (token,), tuple)
        return owners.is_alive(row[0] if row else None, self._lease, host=self._host)

    def _take(self, conn: sqlite3.Connection, run_id: str) -> None:
        """Inside a write transaction: check this app may write the run, taking it over from a
        gone owner, and stamp its update time."""
        row = conn.execute("SELECT owner FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(run_id)
        owner = row[0]
        if owner is not None and owner != self.owner.token:
            other = conn.execute("SELECT pid, host, heartbeat_at FROM owners WHERE token = ?", (owner,)).fetchone()
            if owners.is_alive(other, self._lease, host=self._host):
                raise RunOwnedElsewhere(run_id, other[0], other[1])
        conn.execute("UPDATE runs SET owner = ?, updated_at = ? WHERE id = ?", (self.owner.token, iso(), run_id))

    @contextmanager
    def _writing(self, run_id: str | None = None) -> Iterator[sqlite3.Connection]:
        if not self.writable:
            problem = self.problem or read_only_problem(self.path)
            raise StoreReadOnly(problem.message, problem.hint)
        with self._lock:
            conn = self._open_connection()
            try:
                with schema.transaction(conn):
                    if run_id is not None:
                        self._take(conn, run_id)
                    yield conn
            except sqlite3.Error as error:
                raise self._explain(error) from error

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._open_connection()
            try:
                conn.execute("BEGIN")  # one snapshot for all the reads
                try:
                    yield conn
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as error:
                raise self._explain(error) from error

    def _read(self, sql: str, parameters: tuple, make) -> list:
        with self._reading() as conn:
            return [make(row) for row in conn.execute(sql, parameters)]

    def _open_connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise UserFacingError("The run history was closed.", "This is a bug in HITL Desktop.")
        return self._conn

    def _explain(self, error: sqlite3.Error) -> UserFacingError:
        if is_damage(error) and self.persistent:
            mark_for_check(self.path)
        return explain(error, self.path)


def _summary(row: tuple) -> RunSummary:
    run_id, topic, status, model, created_at, updated_at, rounds = row
    return RunSummary(run_id, topic, RunStatus(status), model, parse_time(created_at), parse_time(updated_at), rounds)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

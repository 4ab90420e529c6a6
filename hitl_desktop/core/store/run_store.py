"""RunStore: every run's history in one SQLite file, written so that a crash loses nothing committed.

Each method that changes a run is one transaction (BEGIN IMMEDIATE … COMMIT) that first checks
this store may write the run (`owners.py`), so a paused run's request, workflow context and
status are saved together or not at all. Each read sees one consistent snapshot (WAL). Methods
may be called from any thread; calls are serialised on the one connection.
"""

from __future__ import annotations

import contextlib
import json
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
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ReviewDecision
from hitl_desktop.core.store import owners, reading, schema
from hitl_desktop.core.store.opening import Opened, connect, mark_for_check, open_database, read_only_problem
from hitl_desktop.core.store.problems import RunNotFound, RunOwnedElsewhere, StoreReadOnly, explain, is_damage
from hitl_desktop.core.store.records import (
    Draft,
    Pending,
    PendingKind,
    Recovery,
    RunStatus,
    RunSummary,
    StoredRun,
    Usage,
    iso,
    parse_time,
)

FILE_NAME = "runs.sqlite3"
INTERRUPTED_NOTE = "Interrupted: HITL Desktop stopped while this run was working."
RESUMED_AT_PAUSE_NOTE = "Resumed from its last pause: research round {round} waits again."
RESUMED_AT_RETRY_NOTE = "Resumed from its last pause: the failed step waits for Retry again."
RESTARTED_NOTE = "Resumed from the topic: the run had not reached a pause before it was interrupted."


def default_path() -> Path:
    return paths.data_dir() / FILE_NAME


class RunStore:
    """Open with `RunStore.open()`. It never raises for a locked, read-only or damaged file:
    `problem` then says what happened, and `kept_file` names a damaged file that was put aside."""

    def __init__(self, opened: Opened, path: Path, *, busy_timeout: float, lease_seconds: float,
                 heartbeat: bool) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = opened.conn
        self._lock = threading.RLock()
        self._lease = lease_seconds
        self._host = socket.gethostname()
        self.writable = opened.writable        # False: read-only (see `problem`); writes raise
        self.persistent = opened.persistent    # False: an in-memory stand-in, nothing is kept
        self.uses_fts = opened.topic_index     # topic search with FTS5 (else LIKE)
        self.problem: UserFacingError | None = opened.problem
        self.kept_file = opened.kept_file      # where a damaged file went
        self.backup_file = opened.backup_file  # the copy made before a migration
        self.owner = owners.Owner.this_process()
        self._heartbeat: owners.Heartbeat | None = None
        if self.writable:
            self._register(busy_timeout, heartbeat)

    @classmethod
    def open(cls, path: Path | None = None, *, busy_timeout: float = 2.0, lease_seconds: float = 60.0,
             use_fts: bool | None = None, heartbeat: bool = True) -> RunStore:
        """Open (or create) the store at `path` (default: runs.sqlite3 in the user data folder).

        busy_timeout: seconds a write waits for another program's lock before giving up.
        lease_seconds: how long after an app's last heartbeat its runs may be taken over.
        use_fts: False searches topics with LIKE (and a new file gets no FTS index); None uses
        FTS5 where SQLite has it. heartbeat: False leaves the lease to expire (tests).
        """
        path = Path(path) if path is not None else default_path()
        opened = open_database(path, busy_timeout=busy_timeout, use_fts=use_fts)
        return cls(opened, path, busy_timeout=busy_timeout, lease_seconds=lease_seconds,
                   heartbeat=heartbeat)

    def _register(self, busy_timeout: float, heartbeat: bool) -> None:
        try:
            with self._lock, schema.transaction(self._conn):
                owners.register(self._conn, self.owner)
        except sqlite3.Error as error:
            # Locked by another program, or not writable after all: show the history read-only.
            self.writable = False
            problem = explain(error, self.path)
            self.problem = read_only_problem(self.path) if isinstance(problem, StoreReadOnly) else problem
            with contextlib.suppress(sqlite3.Error):
                self._conn.execute("PRAGMA query_only = ON")
            return
        if heartbeat and self.persistent:
            self._heartbeat = owners.Heartbeat(lambda: connect(self.path, busy_timeout), self.owner,
                                               interval=self._lease / 4)
            self._heartbeat.start()

    def close(self) -> None:
        """Give this app's runs up (another app may take them at once) and close the file."""
        if self._heartbeat is not None:
            self._heartbeat.stop()
            self._heartbeat = None
        with self._lock:
            if self._conn is None:
                return
            if self.writable:
                with contextlib.suppress(sqlite3.Error):  # if this fails, the lease runs out instead
                    with schema.transaction(self._conn):
                        token = (self.owner.token,)
                        self._conn.execute("UPDATE runs SET owner = NULL WHERE owner = ?", token)
                        self._conn.execute("DELETE FROM owners WHERE token = ?", token)
            self._conn.close()
            self._conn = None

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def heartbeat(self) -> None:
        """Refresh this app's lease now (a background thread does it every lease / 4 seconds)."""
        with self._writing() as conn:
            owners.register(conn, self.owner)

    # -- writing ----------------------------------------------------------------------------

    def create_run(self, topic: str, model: str, *, at: datetime | None = None) -> str:
        """A new run, status running, owned by this app; returns its id. `model` describes the
        provider and model (never a key)."""
        run_id = uuid.uuid4().hex
        stamp = iso(at)
        with self._writing() as conn:
            conn.execute("INSERT INTO runs (id, topic, model, status, created_at, updated_at, owner) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (run_id, topic, model, RunStatus.RUNNING, stamp, stamp, self.owner.token))
        return run_id

    def add_progress(self, run_id: str, message: str, at: datetime | None = None) -> None:
        with self._writing(run_id) as conn:
            conn.execute("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)",
                         (run_id, message, iso(at)))

    def add_round(self, run_id: str, round: int, notes: str, citations: Sequence[Citation] = ()) -> None:
        """Keep a research round's notes and sources (a round written again replaces the old one)."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT OR REPLACE INTO rounds (run_id, round, notes, citations, at) "
                         "VALUES (?, ?, ?, ?, ?)",
                         (run_id, round, notes, _json([c.to_dict() for c in citations]), iso()))

    def add_usage(self, run_id: str, tokens_in: int, tokens_out: int) -> None:
        """Add a model call's tokens to the run's totals."""
        with self._writing(run_id) as conn:
            conn.execute("UPDATE runs SET tokens_in = tokens_in + ?, tokens_out = tokens_out + ? "
                         "WHERE id = ?", (tokens_in, tokens_out, run_id))

    def save_pending(self, run_id: str, kind: PendingKind, request: dict[str, Any],
                     context: dict[str, Any]) -> None:
        """The run pauses: what it waits on (`request_to_json(...)`), the workflow context
        (`ctx.to_dict()`) and the status (waiting_for_review or _retry) are saved in one transaction."""
        kind = PendingKind(kind)
        request_text, context_text = _json(request), _json(context)
        at = iso()
        with self._writing(run_id) as conn:
            conn.execute("UPDATE runs SET status = ?, pending_kind = ?, pending_request = ?, "
                         "pending_context = ?, pending_at = ? WHERE id = ?",
                         (kind.status, kind, request_text, context_text, at, run_id))
            conn.execute("INSERT OR REPLACE INTO checkpoints (run_id, kind, request, context, at) "
                         "VALUES (?, ?, ?, ?, ?)", (run_id, kind, request_text, context_text, at))

    def clear_pending(self, run_id: str, status: RunStatus = RunStatus.RUNNING) -> None:
        """The run is no longer paused: it resumed (running) or ended (stopped, failed…)."""
        self.set_status(run_id, status)

    def save_draft(self, run_id: str, round: int, edited_notes: str, feedback: str) -> None:
        """The reviewer's unsent answer to the pending round (replaces the previous draft)."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT OR REPLACE INTO drafts (run_id, round, edited_notes, feedback, at) "
                         "VALUES (?, ?, ?, ?, ?)", (run_id, round, edited_notes, feedback, iso()))

    def record_decision(self, run_id: str, decision: ReviewDecision, reviewer: str = "",
                        at: datetime | None = None) -> None:
        """Keep the reviewer's decision; in the same transaction the draft for that round is
        dropped and the run goes from waiting_for_review to running."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT INTO decisions (run_id, round, approved, feedback, edited_notes, "
                         "dropped_sources, pinned_sources, reviewer, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (run_id, decision.round, int(decision.approved), decision.feedback,
                          decision.edited_notes, _json(list(decision.dropped_sources)),
                          _json(list(decision.pinned_sources)), reviewer, iso(at)))
            conn.execute("DELETE FROM drafts WHERE run_id = ? AND round <= ?", (run_id, decision.round))
            _clear_pending(conn, run_id, RunStatus.RUNNING)

    def save_report(self, run_id: str, markdown: str, *, final: bool, model: str = "",
                    usage: Usage | None = None) -> None:
        """Keep the run's report (replacing an earlier one). A final report marks the run done;
        `usage`, when given, sets the run's token totals."""
        with self._writing(run_id) as conn:
            conn.execute("INSERT OR REPLACE INTO reports (run_id, markdown, final, model, at) "
                         "VALUES (?, ?, ?, ?, ?)", (run_id, markdown, int(final), model, iso()))
            if usage is not None:
                conn.execute("UPDATE runs SET tokens_in = ?, tokens_out = ? WHERE id = ?",
                             (usage.tokens_in, usage.tokens_out, run_id))
            if final:
                _clear_pending(conn, run_id, RunStatus.DONE)
                conn.execute("DELETE FROM checkpoints WHERE run_id = ?", (run_id,))  # nothing to resume

    def set_status(self, run_id: str, status: RunStatus) -> None:
        """Set a status other than the waiting ones (`save_pending` sets those, with what the run
        waits on); a run that is not waiting has nothing pending, so that is cleared."""
        status = RunStatus(status)
        if status.waiting:
            raise ValueError(f"{status} is set by save_pending, with the request and context")
        with self._writing(run_id) as conn:
            _clear_pending(conn, run_id, status)

    def reopen_interrupted(self, run_id: str) -> Pending | None:
        """Take an interrupted run up again from its last pause (its checkpoint), in one
        transaction: it waits again on what it waited on then, and for a review the decision
        given then becomes the draft, so nothing the reviewer did is lost. Returns that pause,
        or None when the run never reached one (it is running again, from its topic).
        Raises UserFacingError for a run that is not interrupted."""
        with self._writing(run_id) as conn:
            status = conn.execute("SELECT status FROM runs WHERE id = ?", (run_id,)).fetchone()[0]
            if status != RunStatus.INTERRUPTED:
                raise UserFacingError("That run was not interrupted.", "Only interrupted runs resume this way.",
                                      ErrorKind.BAD_INPUT)
            checkpoint = conn.execute("SELECT kind, request, context FROM checkpoints WHERE run_id = ?",
                                      (run_id,)).fetchone()
            at = iso()
            if checkpoint is None:
                _clear_pending(conn, run_id, RunStatus.RUNNING)
                conn.execute("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)",
                             (run_id, RESTARTED_NOTE, at))
                return None
            kind, request_text, context_text = PendingKind(checkpoint[0]), checkpoint[1], checkpoint[2]
            conn.execute("UPDATE runs SET status = ?, pending_kind = ?, pending_request = ?, "
                         "pending_context = ?, pending_at = ? WHERE id = ?",
                         (kind.status, kind, request_text, context_text, at, run_id))
            request = json.loads(request_text)
            if kind is PendingKind.REVIEW:
                answered = conn.execute("SELECT edited_notes, feedback FROM decisions WHERE run_id = ? AND "
                                        "round = ? ORDER BY id DESC LIMIT 1", (run_id, request["round"])).fetchone()
                if answered is not None:
                    conn.execute("INSERT OR REPLACE INTO drafts (run_id, round, edited_notes, feedback, at) "
                                 "VALUES (?, ?, ?, ?, ?)", (run_id, request["round"], answered[0] or "",
                                                            answered[1], at))
            note = (RESUMED_AT_PAUSE_NOTE.format(round=request["round"]) if kind is PendingKind.REVIEW
                    else RESUMED_AT_RETRY_NOTE)
            conn.execute("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)", (run_id, note, at))
            return Pending(kind, request, json.loads(context_text), parse_time(at))

    def claim(self, run_id: str) -> None:
        """Make this app the run's owner (before resuming it); raises RunOwnedElsewhere."""
        with self._writing(run_id):
            pass

    def delete(self, run_id: str) -> None:
        """Remove a run and everything kept with it."""
        with self._writing(run_id) as conn:
            conn.execute("DELETE FROM runs WHERE id = ?", (run_id,))

    def recover_after_start(self) -> Recovery:
        """Call once after opening. Runs left running by an app that is gone (crashed, killed,
        logged out) become interrupted, keeping what they wrote, and gone apps' runs are released.
        Returns those runs, and the runs waiting for a review or a retry that this app may resume."""
        if not self.writable:
            return Recovery((), tuple(self._waiting()))
        now = iso()
        with self._writing() as conn:
            others = conn.execute("SELECT token, pid, host, heartbeat_at FROM owners WHERE token != ?",
                                  (self.owner.token,)).fetchall()
            gone = [token for token, *row in others
                    if not owners.is_alive(tuple(row), self._lease, host=self._host)]
            conn.executemany("DELETE FROM owners WHERE token = ?", [(token,) for token in gone])
            orphaned = f"(owner IS NULL OR owner IN ({', '.join('?' * len(gone))}))"
            interrupted = [row[0] for row in conn.execute(
                f"SELECT id FROM runs WHERE status = ? AND {orphaned}", (RunStatus.RUNNING, *gone))]
            for run_id in interrupted:
                conn.execute("UPDATE runs SET status = ?, updated_at = ? WHERE id = ?",
                             (RunStatus.INTERRUPTED, now, run_id))
                conn.execute("INSERT INTO progress (run_id, message, at) VALUES (?, ?, ?)",
                             (run_id, INTERRUPTED_NOTE, now))
            conn.execute(f"UPDATE runs SET owner = NULL WHERE owner IS NOT NULL AND {orphaned}", gone)
        return Recovery(tuple(self._summaries(interrupted)), tuple(self._waiting()))

    # -- reading ----------------------------------------------------------------------------

    def list_runs(self, query: str = "", limit: int = 200) -> list[RunSummary]:
        """Runs newest first; with `query`, those whose topic has a word starting with each word
        of it (FTS5), or contains each word (LIKE, where there is no FTS5 index)."""
        sql, parameters = reading.list_query(query, limit, fts=self.uses_fts)
        with self._reading() as conn:
            return [reading.summary(row) for row in conn.execute(sql, parameters)]

    def get(self, run_id: str) -> StoredRun:
        """Everything kept about one run; raises RunNotFound."""
        with self._reading() as conn:
            run = reading.run(conn, run_id)
        if run is None:
            raise RunNotFound(run_id)
        return run

    def draft(self, run_id: str) -> Draft | None:
        """The reviewer's unsent answer to the pending round, if one was saved."""
        with self._reading() as conn:
            return reading.draft(conn, run_id)

    # -- internals --------------------------------------------------------------------------

    def _summaries(self, run_ids: list[str]) -> list[RunSummary]:
        with self._reading() as conn:
            return [reading.summary(row) for run_id in run_ids
                    for row in conn.execute(reading.SUMMARY + " WHERE id = ?", (run_id,))]

    def _waiting(self) -> list[RunSummary]:
        with self._reading() as conn:
            rows = conn.execute("SELECT runs.id, runs.owner, owners.pid, owners.host, owners.heartbeat_at "
                                "FROM runs LEFT JOIN owners ON owners.token = runs.owner "
                                "WHERE status IN (?, ?) ORDER BY created_at DESC",
                                (RunStatus.WAITING_FOR_REVIEW, RunStatus.WAITING_FOR_RETRY)).fetchall()
        free = [run_id for run_id, owner, *other in rows
                if owner in (None, self.owner.token)
                or not owners.is_alive(tuple(other) if other[0] is not None else None, self._lease,
                                       host=self._host)]
        return self._summaries(free)

    def _take(self, conn: sqlite3.Connection, run_id: str) -> None:
        """Inside a write transaction: check this app may write the run, taking it over from an
        app that is gone, and stamp the run's update time."""
        row = conn.execute("SELECT owner FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise RunNotFound(run_id)
        owner = row[0]
        if owner is not None and owner != self.owner.token:
            other = conn.execute("SELECT pid, host, heartbeat_at FROM owners WHERE token = ?",
                                 (owner,)).fetchone()
            if owners.is_alive(other, self._lease, host=self._host):
                raise RunOwnedElsewhere(run_id, other[0], other[1])
        conn.execute("UPDATE runs SET owner = ?, updated_at = ? WHERE id = ?",
                     (self.owner.token, iso(), run_id))

    @contextmanager
    def _writing(self, run_id: str | None = None) -> Iterator[sqlite3.Connection]:
        if not self.writable:
            problem = self.problem or read_only_problem(self.path)
            raise StoreReadOnly(problem.message, problem.hint)
        with self._lock:
            conn = self._connection()
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
            conn = self._connection()
            try:
                conn.execute("BEGIN")  # one snapshot for all the reads
                try:
                    yield conn
                finally:
                    conn.execute("COMMIT")
            except sqlite3.Error as error:
                raise self._explain(error) from error

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise UserFacingError("The run history was closed.", "This is a bug in HITL Desktop.")
        return self._conn

    def _explain(self, error: sqlite3.Error) -> UserFacingError:
        if is_damage(error) and self.persistent:
            mark_for_check(self.path)  # the next start checks the file and puts it aside if damaged
        return explain(error, self.path)


def _clear_pending(conn: sqlite3.Connection, run_id: str, status: RunStatus) -> None:
    conn.execute("UPDATE runs SET status = ?, pending_kind = NULL, pending_request = NULL, "
                 "pending_context = NULL, pending_at = NULL WHERE id = ?", (status, run_id))


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

"""The run store: every field kept, versions migrated, files in any state opened, owners respected,
crashes survived (real processes killed mid-write)."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from hitl_desktop.core import paths
from hitl_desktop.core.citations import Citation
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import ReviewDecision, ReviewRequest, Stage, StepFailure
from hitl_desktop.core.store import (
    PendingKind,
    RunNotFound,
    RunOwnedElsewhere,
    RunStatus,
    RunStore,
    StoreBusy,
    StoreDamaged,
    StoreReadOnly,
    Usage,
    default_path,
    request_from_json,
    request_to_json,
)
from hitl_desktop.core.store import schema

ROOT = Path(__file__).resolve().parents[2]
CITATIONS = (Citation(1, "https://example.org/tides", "Tides", "example.org", "", "web-1"),
             Citation(2, "/home/ann/lagoons.pdf", "Lagoons", "p. 4", "Lagoons store the tide.", "doc-7"))


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "store" / "runs.sqlite3"


@pytest.fixture
def store(store_path: Path) -> Iterator[RunStore]:
    with RunStore.open(store_path) as opened:
        yield opened


def _rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


# -- every field ---------------------------------------------------------------------------


def test_the_default_file_is_in_the_user_data_folder() -> None:
    assert default_path() == paths.data_dir() / "runs.sqlite3"
    with RunStore.open() as opened:
        assert opened.problem is None and opened.persistent and opened.writable
    assert default_path().is_file()


def test_every_field_round_trips_through_a_reopened_file(store_path: Path) -> None:
    at = datetime(2025, 3, 1, 9, 30, tzinfo=timezone.utc)
    request = ReviewRequest(round=2, topic="Tidal lagoons", notes="Lagoons [2].", citations=CITATIONS,
                            citation_problems=("[3] points at no source.",))
    context = {"state": {"round": 2, "notes": ["a", "b"]}, "streaming_queue": "[]", "is_running": False}
    with RunStore.open(store_path) as store:
        run_id = store.create_run("Tidal lagoons", "DashScope · qwen-max", at=at)
        store.add_progress(run_id, "Researching round 1…", at + timedelta(seconds=1))
        store.add_progress(run_id, "Round 1 is ready for review", at + timedelta(seconds=2))
        store.add_round(run_id, 1, "First notes [1].", CITATIONS[:1])
        store.record_decision(run_id, ReviewDecision(1, False, "Look at Wales.", "First notes, edited [1].",
                                                     ("https://example.org/tides",), ()),
                              reviewer="Ann", at=at + timedelta(minutes=5))
        store.add_round(run_id, 2, "Lagoons [2].", CITATIONS)
        store.add_usage(run_id, 1200, 300)
        store.add_usage(run_id, 800, 200)
        store.save_pending(run_id, PendingKind.REVIEW, request_to_json(request), context)
        store.save_draft(run_id, 2, "Lagoons, as I would put it [2].", "Shorter")
        owner = store.owner.token
        paused = store.get(run_id)
    assert paused.summary.status is RunStatus.WAITING_FOR_REVIEW and paused.owner == owner

    with RunStore.open(store_path) as store:
        run = store.get(run_id)
        assert run == replace(paused, owner=None)  # closing released it
        assert (run.summary.topic, run.summary.model, run.summary.rounds) == ("Tidal lagoons", "DashScope · qwen-max", 2)
        assert run.summary.created_at == at and run.summary.updated_at > at
        assert [(r.round, r.notes, r.citations) for r in run.rounds] == [(1, "First notes [1].", CITATIONS[:1]),
                                                                        (2, "Lagoons [2].", CITATIONS)]
        (decision,) = run.decisions
        assert (decision.round, decision.approved, decision.feedback, decision.edited_notes, decision.dropped_sources,
                decision.pinned_sources, decision.reviewer, decision.at) == (
            1, False, "Look at Wales.", "First notes, edited [1].", ("https://example.org/tides",), (), "Ann",
            at + timedelta(minutes=5))
        assert run.usage == Usage(2000, 500)
        assert [(p.message, p.at) for p in run.progress] == [("Researching round 1…", at + timedelta(seconds=1)),
                                                             ("Round 1 is ready for review", at + timedelta(seconds=2))]
        assert run.pending is not None and run.pending.kind is PendingKind.REVIEW
        assert request_from_json(run.pending.request) == request and run.pending.context == context
        assert run.draft is not None and (run.draft.round, run.draft.edited_notes, run.draft.feedback) == (
            2, "Lagoons, as I would put it [2].", "Shorter")
        assert store.draft(run_id) == run.draft
        assert run.report is None

        store.record_decision(run_id, ReviewDecision(2, True), reviewer="Ann")
        resumed = store.get(run_id)
        assert resumed.summary.status is RunStatus.RUNNING and resumed.pending is None and resumed.draft is None
        assert resumed.owner == store.owner.token  # writing took the free run
        store.save_report(run_id, "# Tidal lagoons\n\nThey store the tide [2].", final=True, model="qwen-max",
                          usage=Usage(5000, 1500))
        done = store.get(run_id)
    assert done.summary.status is RunStatus.DONE and done.usage == Usage(5000, 1500)
    assert done.report is not None and (done.report.markdown, done.report.final, done.report.model) == (
        "# Tidal lagoons\n\nThey store the tide [2].", True, "qwen-max")
    assert [d.approved for d in done.decisions] == [False, True]


def test_a_failure_waits_for_retry_and_its_request_round_trips(store: RunStore) -> None:
    failure = StepFailure(Stage.REPORT, 3, UserFacingError("The server is busy.", "Try again.",
                                                           ErrorKind.RATE_LIMIT, partial_output="# Half"))
    run_id = store.create_run("Tides", "local · llama3")
    store.save_pending(run_id, PendingKind.RETRY, request_to_json(failure), {"ctx": 1})
    run = store.get(run_id)
    assert run.summary.status is RunStatus.WAITING_FOR_RETRY
    back = request_from_json(json.loads(json.dumps(run.pending.request)))
    assert isinstance(back, StepFailure) and (back.stage, back.round) == (Stage.REPORT, 3)
    assert (back.error.message, back.error.hint, back.error.kind, back.error.partial_output) == (
        "The server is busy.", "Try again.", ErrorKind.RATE_LIMIT, "# Half")
    store.clear_pending(run_id, RunStatus.STOPPED)
    run = store.get(run_id)
    assert run.summary.status is RunStatus.STOPPED and run.pending is None


def test_a_draft_report_leaves_the_status_and_a_new_one_replaces_it(store: RunStore) -> None:
    run_id = store.create_run("Tides", "m")
    store.save_report(run_id, "# Half", final=False, model="m")
    store.save_pending(run_id, PendingKind.RETRY, {"type": "failure"}, {})
    store.set_status(run_id, RunStatus.STOPPED)
    run = store.get(run_id)
    assert run.summary.status is RunStatus.STOPPED and run.report.final is False and run.pending is None
    store.save_report(run_id, "# Whole", final=True)
    assert store.get(run_id).report.markdown == "# Whole"


def test_unknown_runs_and_statuses_are_refused(store: RunStore) -> None:
    with pytest.raises(RunNotFound):
        store.get("nope")
    with pytest.raises(RunNotFound):
        store.add_progress("nope", "x")
    run_id = store.create_run("Tides", "m")
    with pytest.raises(ValueError):
        store.set_status(run_id, "paused")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="save_pending"):  # waiting always comes with what it waits on
        store.set_status(run_id, RunStatus.WAITING_FOR_REVIEW)
    with pytest.raises(TypeError):
        store.save_pending(run_id, PendingKind.REVIEW, {"not json": object()}, {})
    assert store.get(run_id).summary.status is RunStatus.RUNNING


def test_list_is_newest_first_and_limited(store: RunStore) -> None:
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    ids = [store.create_run(f"Topic {n}", "m", at=start + timedelta(hours=n)) for n in range(5)]
    store.add_round(ids[4], 1, "n")
    listed = store.list_runs(limit=3)
    assert [s.id for s in listed] == ids[:1:-1] and [s.rounds for s in listed] == [1, 0, 0]


def test_delete_removes_the_run_and_everything_kept_with_it(store: RunStore, store_path: Path) -> None:
    kept = store.create_run("Kept", "m")
    run_id = store.create_run("Gone", "m")
    for target in (kept, run_id):
        store.add_progress(target, "p")
        store.add_round(target, 1, "n", CITATIONS)
        store.record_decision(target, ReviewDecision(1, True, "f"))
        store.save_draft(target, 2, "e", "f")
        store.save_report(target, "# R", final=False)
    store.delete(run_id)
    with pytest.raises(RunNotFound):
        store.get(run_id)
    assert [s.id for s in store.list_runs("gone")] == []
    for table in ("rounds", "decisions", "reports", "progress", "drafts"):
        assert _rows(store_path, f"SELECT DISTINCT run_id FROM {table}") == [(kept,)], table


# -- search --------------------------------------------------------------------------------


@pytest.mark.parametrize("use_fts", [None, False], ids=["fts5", "like"])
def test_topic_search(store_path: Path, use_fts: bool | None) -> None:
    with RunStore.open(store_path, use_fts=use_fts) as store:
        assert store.uses_fts is (use_fts is None)
        assert schema.has_topic_index(store._conn) is (use_fts is None)
        topics = ["Tidal lagoons in Wales", "Wave power economics", "Tidal stream turbines",
                  "50% rule_of_thumb for lagoons", 'The "Severn" barrage']
        ids = {topic: store.create_run(topic, "m") for topic in topics}
        found = lambda query: {s.topic for s in store.list_runs(query)}  # noqa: E731
        assert found("tidal") == {"Tidal lagoons in Wales", "Tidal stream turbines"}
        assert found("TIDAL lag") == {"Tidal lagoons in Wales"}
        assert found("lagoon") == {"Tidal lagoons in Wales", "50% rule_of_thumb for lagoons"}
        assert found("severn") == {'The "Severn" barrage'}
        assert found('"severn" OR') == set()  # query syntax is never passed through
        assert found("% _ \\") == set(topics)  # no words: everything
        assert found("turbines wave") == set()
        store.delete(ids["Tidal stream turbines"])
        assert found("tidal") == {"Tidal lagoons in Wales"}


def test_a_store_made_without_fts_searches_with_like_even_where_fts5_exists(store_path: Path) -> None:
    with RunStore.open(store_path, use_fts=False) as store:
        store.create_run("Tidal lagoons", "m")
    with RunStore.open(store_path) as store:
        assert not store.uses_fts and [s.topic for s in store.list_runs("lagoons")] == ["Tidal lagoons"]


def test_without_fts5_in_sqlite_the_store_searches_with_like(store_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema, "fts5_available", lambda conn: False)
    with RunStore.open(store_path) as store:
        assert not store.uses_fts and not schema.has_topic_index(store._conn)
        store.create_run("Tidal lagoons", "m")
        assert [s.topic for s in store.list_runs("lagoon")] == ["Tidal lagoons"]
    monkeypatch.undo()
    with RunStore.open(store_path) as store:  # the same file with FTS5 about: still LIKE, no index
        assert not store.uses_fts and [s.topic for s in store.list_runs("tidal")] == ["Tidal lagoons"]


# -- versions ------------------------------------------------------------------------------

# The schema as version 1 of the app wrote it.
_V1 = """
CREATE TABLE runs (id TEXT PRIMARY KEY, topic TEXT NOT NULL, model TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
    usage TEXT NOT NULL DEFAULT '{}', pending TEXT);
CREATE INDEX runs_newest ON runs (created_at DESC);
CREATE TABLE rounds (run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE, round INTEGER NOT NULL,
    notes TEXT NOT NULL, citations TEXT NOT NULL DEFAULT '[]', at TEXT NOT NULL,
    PRIMARY KEY (run_id, round));
CREATE TABLE decisions (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    round INTEGER NOT NULL, approved INTEGER NOT NULL, feedback TEXT NOT NULL DEFAULT '', edited_notes TEXT,
    dropped_sources TEXT NOT NULL DEFAULT '[]', pinned_sources TEXT NOT NULL DEFAULT '[]', at TEXT NOT NULL);
CREATE TABLE reports (run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE, markdown TEXT NOT NULL,
    final INTEGER NOT NULL, model TEXT NOT NULL DEFAULT '', at TEXT NOT NULL);
CREATE TABLE progress (id INTEGER PRIMARY KEY, run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    message TEXT NOT NULL, at TEXT NOT NULL);
CREATE TABLE drafts (run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE, round INTEGER NOT NULL,
    edited_notes TEXT NOT NULL DEFAULT '', feedback TEXT NOT NULL DEFAULT '', at TEXT NOT NULL);
PRAGMA user_version = 1;
"""
_T0 = "2024-05-01T10:00:00.000000+00:00"
_T1 = "2024-05-01T11:00:00.000000+00:00"


def _write_version_1(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(_V1)
    pending = {"kind": "review", "request": {"type": "review", "round": 1, "topic": "Tides", "notes": "N",
                                             "citations": [], "citation_problems": []},
               "context": {"state": {"round": 1}}}
    conn.executemany("INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?)", [
        ("old-1", "Tidal lagoons", "qwen-max", "done", _T0, _T0, json.dumps({"in": 900, "out": 120}), None),
        ("old-2", "Wave farms", "llama3", "waiting_for_review", _T1, _T1, "{}", json.dumps(pending))])
    conn.execute("INSERT INTO rounds VALUES ('old-1', 1, 'Notes [1].', ?, ?)",
                 (json.dumps([CITATIONS[0].to_dict()]), _T0))
    conn.execute("INSERT INTO decisions (run_id, round, approved, feedback, at) VALUES ('old-1', 1, 1, 'ok', ?)", (_T0,))
    conn.execute("INSERT INTO reports VALUES ('old-1', '# Lagoons', 1, 'qwen-max', ?)", (_T0,))
    conn.execute("INSERT INTO progress (run_id, message, at) VALUES ('old-1', 'Done', ?)", (_T0,))
    conn.execute("INSERT INTO drafts VALUES ('old-2', 1, 'N, edited', 'more', ?)", (_T1,))
    conn.commit()
    conn.close()


def test_a_version_1_file_is_backed_up_then_migrated(store_path: Path) -> None:
    _write_version_1(store_path)
    with RunStore.open(store_path) as store:
        assert store.problem is None and store.writable and store.uses_fts
        backup = store.backup_file
        assert backup is not None and backup.name.startswith("runs.sqlite3.v1-backup-")
        old = store.get("old-1")
        assert (old.summary.topic, old.summary.status, old.summary.rounds, old.usage) == (
            "Tidal lagoons", RunStatus.DONE, 1, Usage(900, 120))
        assert old.rounds[0].citations == CITATIONS[:1] and old.report.markdown == "# Lagoons"
        assert [(d.feedback, d.reviewer) for d in old.decisions] == [("ok", "")]
        assert [p.message for p in old.progress] == ["Done"]
        waiting = store.get("old-2")
        assert waiting.summary.status is RunStatus.WAITING_FOR_REVIEW and waiting.pending.kind is PendingKind.REVIEW
        assert request_from_json(waiting.pending.request).topic == "Tides"
        assert waiting.pending.context == {"state": {"round": 1}} and waiting.draft.feedback == "more"
        assert [s.id for s in store.list_runs()] == ["old-2", "old-1"]
        assert [s.id for s in store.list_runs("lagoons")] == ["old-1"]  # the topic index was built
        store.add_round("old-2", 2, "More notes")  # and it can be written
        store.delete("old-1")  # cascades still reach the children
    assert _rows(store_path, "PRAGMA user_version") == [(schema.CURRENT_VERSION,)]
    assert _rows(store_path, "PRAGMA foreign_key_check") == []
    # The run paused in the old file has that pause as its checkpoint.
    assert _rows(store_path, "SELECT run_id, kind FROM checkpoints") == [("old-2", "review")]
    assert _rows(store_path, "SELECT count(*) FROM rounds WHERE run_id = 'old-1'") == [(0,)]
    # The backup is the version-1 file as it was.
    assert _rows(backup, "PRAGMA user_version") == [(1,)]
    assert _rows(backup, "SELECT id, usage FROM runs ORDER BY id")[0] == ("old-1", json.dumps({"in": 900, "out": 120}))
    with RunStore.open(store_path) as store:
        assert store.backup_file is None  # nothing to migrate the second time


def test_a_migration_that_fails_leaves_the_old_file_as_it_was(store_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    _write_version_1(store_path)

    def half_then_fail(conn: sqlite3.Connection, topic_index: bool) -> None:
        conn.execute("DROP TABLE drafts")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setitem(schema._MIGRATIONS, 1, half_then_fail)
    with RunStore.open(store_path) as store:
        assert store.problem is not None and not store.persistent
    assert _rows(store_path, "PRAGMA user_version") == [(1,)]
    assert _rows(store_path, "SELECT count(*) FROM drafts") == [(1,)]
    assert list(store_path.parent.glob("runs.sqlite3.v1-backup-*"))


def test_a_file_from_a_newer_app_is_read_only(store: RunStore, store_path: Path) -> None:
    store.create_run("Tides", "m")
    store.close()
    conn = sqlite3.connect(store_path)
    conn.execute(f"PRAGMA user_version = {schema.CURRENT_VERSION + 1}")
    conn.close()
    with RunStore.open(store_path) as newer:
        assert not newer.writable and isinstance(newer.problem, StoreReadOnly) and "newer" in newer.problem.message
        assert [s.topic for s in newer.list_runs()] == ["Tides"]
        with pytest.raises(StoreReadOnly):
            newer.create_run("x", "m")


# -- files in a bad state --------------------------------------------------------------------


def test_a_corrupt_file_is_kept_aside_and_a_new_store_started(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    garbage = random.Random(3).randbytes(50_000)
    store_path.write_bytes(garbage)
    with RunStore.open(store_path) as store:
        assert store.writable and store.persistent
        assert store.problem is not None and store.problem.kind is ErrorKind.IO
        kept = store.kept_file
        assert kept is not None and kept.name.startswith("runs.sqlite3.damaged-") and str(kept) in store.problem.hint
        assert kept.read_bytes() == garbage
        store.create_run("After", "m")
    assert _rows(store_path, "PRAGMA integrity_check") == [("ok",)]


def test_a_sqlite_file_that_is_not_a_run_history_is_kept_aside(store_path: Path) -> None:
    store_path.parent.mkdir(parents=True)
    conn = sqlite3.connect(store_path)
    conn.execute("CREATE TABLE photos (name TEXT)")
    conn.close()
    with RunStore.open(store_path) as store:
        assert store.kept_file is not None and "not a HITL Desktop run history" in store.problem.message
    assert _rows(store.kept_file, "SELECT name FROM sqlite_master") == [("photos",)]


def test_damage_found_while_running_is_checked_and_kept_aside_at_the_next_start(store_path: Path) -> None:
    with RunStore.open(store_path) as store:
        for n in range(60):
            run_id = store.create_run(f"Topic {n}", "m")
            store.add_round(run_id, 1, "notes " * 1000)
    size = store_path.stat().st_size
    with open(store_path, "r+b") as file:  # scribble over the middle pages, keep the header
        file.seek(size // 3)
        file.write(b"\xff" * (size // 3))
    store = RunStore.open(store_path)
    assert store.problem is None  # the header is fine: opening does not read every page
    with pytest.raises(StoreDamaged):
        for summary in store.list_runs(limit=1000):
            store.get(summary.id)
    store.close()
    with RunStore.open(store_path) as store:
        assert store.kept_file is not None and store.list_runs() == []


def test_a_folder_that_cannot_be_made_gives_a_working_store_that_keeps_nothing(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    with RunStore.open(tmp_path / "a-file" / "runs.sqlite3") as store:
        assert not store.persistent and store.writable and "will not be kept" in store.problem.message
        run_id = store.create_run("Tides", "m")
        assert store.get(run_id).summary.topic == "Tides"


_HOLD_LOCK = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE owners SET heartbeat_at = heartbeat_at")
    print("locked", flush=True)
    time.sleep(60)
""")


def test_a_file_locked_by_another_program(store_path: Path) -> None:
    with RunStore.open(store_path) as store:
        run_id = store.create_run("Tides", "m")
    first = RunStore.open(store_path, busy_timeout=0.3)
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_LOCK, str(store_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with pytest.raises(StoreBusy, match="locked by another program"):
            first.add_progress(run_id, "p")
        assert time.monotonic() - started < 3
        assert first.get(run_id).summary.topic == "Tides"  # reading goes on (WAL)

        second = RunStore.open(store_path, busy_timeout=0.3)
        assert not second.writable and isinstance(second.problem, StoreBusy)
        assert [s.id for s in second.list_runs()] == [run_id]
        with pytest.raises(StoreReadOnly, match="locked"):
            second.create_run("x", "m")
        second.close()
    finally:
        holder.kill()
        holder.wait()
    first.add_progress(run_id, "p")  # the lock is gone: writing works again
    first.close()


_HOLD_EXCLUSIVELY = textwrap.dedent("""
    import sqlite3, sys, time
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA locking_mode = EXCLUSIVE")  # keeps even readers out, until it exits
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE owners SET heartbeat_at = heartbeat_at")
    conn.execute("COMMIT")
    print("locked", flush=True)
    time.sleep(60)
""")


def test_a_lock_that_keeps_readers_out_still_lets_the_app_start(store_path: Path) -> None:
    with RunStore.open(store_path) as store:
        store.create_run("Tides", "m")
    holder = subprocess.Popen([sys.executable, "-c", _HOLD_EXCLUSIVELY, str(store_path)], stdout=subprocess.PIPE,
                              text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        started = time.monotonic()
        with RunStore.open(store_path, busy_timeout=0.3) as store:
            assert time.monotonic() - started < 5
            assert not store.writable and isinstance(store.problem, StoreBusy)
            assert [s.topic for s in store.list_runs()] == ["Tides"]  # read without locks, as it is on disk
    finally:
        holder.kill()
        holder.wait()


# Opens the store as another user would; prints what it found as JSON.
_PROBE = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from hitl_desktop.core.store import RunStore, StoreReadOnly
    store = RunStore.open(Path(sys.argv[1]), busy_timeout=0.5)
    found = {"writable": store.writable, "persistent": store.persistent,
             "problem": store.problem.message if store.problem else None,
             "topics": [s.topic for s in store.list_runs()]}
    try:
        store.create_run("From the probe", "m")
        found["write"] = "ok"
    except StoreReadOnly as error:
        found["write"] = error.message
    store.close()
    print(json.dumps(found))
""")
NOBODY = 65534


@pytest.fixture
def shared_folder() -> Iterator[Path]:
    """A folder outside pytest's private temp folder, so an ordinary user can reach it."""
    folder = Path(tempfile.mkdtemp(prefix="hitl-store-"))
    folder.chmod(0o755)
    yield folder
    for inner, dirs, _files in os.walk(folder):
        for name in dirs:
            Path(inner, name).chmod(0o755)
    shutil.rmtree(folder)


def _probe(path: Path) -> dict:
    command = [sys.executable, "-c", _PROBE, str(path)]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # root may write anything: probe as nobody
        setpriv = shutil.which("setpriv")
        if setpriv is None:
            pytest.skip("running as root without setpriv: cannot open the store as an ordinary user")
        command = [setpriv, f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *command]
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(path.parent)}
    result = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def _give_to_prober(path: Path) -> None:
    if os.geteuid() == 0:
        os.chown(path, NOBODY, NOBODY)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_file_is_shown_read_only(shared_folder: Path) -> None:
    folder = shared_folder / "data"
    with RunStore.open(folder / "runs.sqlite3") as store:
        store.create_run("Tides", "m")
    _give_to_prober(folder)  # the folder is writable, the file is not
    (folder / "runs.sqlite3").chmod(0o444)
    found = _probe(folder / "runs.sqlite3")
    assert found["topics"] == ["Tides"] and not found["writable"] and found["persistent"]
    assert "read-only" in found["problem"] and "read-only" in found["write"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_a_read_only_folder_is_shown_read_only(shared_folder: Path) -> None:
    folder = shared_folder / "data"
    with RunStore.open(folder / "runs.sqlite3") as store:
        store.create_run("Tides", "m")
    _give_to_prober(folder / "runs.sqlite3")  # the file is writable, its folder is not
    folder.chmod(0o555)
    found = _probe(folder / "runs.sqlite3")
    assert found["topics"] == ["Tides"] and not found["writable"] and found["persistent"]
    assert "read-only" in found["write"]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_no_file_in_a_read_only_folder_gives_a_store_that_keeps_nothing(shared_folder: Path) -> None:
    folder = shared_folder / "data"
    folder.mkdir(mode=0o555)
    found = _probe(folder / "runs.sqlite3")
    assert found["write"] == "ok" and not found["persistent"] and "will not be kept" in found["problem"]
    assert not (folder / "runs.sqlite3").exists()


# -- owners ----------------------------------------------------------------------------------


def test_a_second_app_reads_but_does_not_write_a_live_apps_run(store_path: Path) -> None:
    first = RunStore.open(store_path)
    second = RunStore.open(store_path)
    run_id = first.create_run("Tides", "m")
    first.add_round(run_id, 1, "Notes")
    assert second.get(run_id).rounds[0].notes == "Notes"
    assert [s.id for s in second.list_runs()] == [run_id]
    for write in (lambda: second.add_round(run_id, 2, "Mine"), lambda: second.save_draft(run_id, 1, "e", "f"),
                  lambda: second.set_status(run_id, RunStatus.STOPPED), lambda: second.delete(run_id),
                  lambda: second.claim(run_id)):
        with pytest.raises(RunOwnedElsewhere, match=f"process {os.getpid()}") as raised:
            write()
        assert raised.value.kind is ErrorKind.IO and raised.value.hint
    assert second.recover_after_start().waiting == ()
    assert second.get(run_id).summary.status is RunStatus.RUNNING  # not marked interrupted
    first.close()  # a clean quit gives the run up at once
    second.add_round(run_id, 2, "Mine now")
    assert second.get(run_id).owner == second.owner.token
    second.close()


def test_a_run_whose_owner_stopped_beating_is_taken_over(store_path: Path) -> None:
    silent = RunStore.open(store_path, heartbeat=False)
    run_id = silent.create_run("Tides", "m")
    impatient = RunStore.open(store_path, lease_seconds=0.3)
    with pytest.raises(RunOwnedElsewhere):
        impatient.add_progress(run_id, "p")
    time.sleep(0.4)
    impatient.add_progress(run_id, "taken over")
    with pytest.raises(RunOwnedElsewhere):  # and now the old owner may not write it
        silent.add_progress(run_id, "p")
    impatient.close()
    silent.close()


def test_the_heartbeat_keeps_the_lease(store_path: Path) -> None:
    owner = RunStore.open(store_path, lease_seconds=0.4)  # beats every 0.1 s
    run_id = owner.create_run("Tides", "m")
    other = RunStore.open(store_path, lease_seconds=0.4)
    time.sleep(0.8)
    with pytest.raises(RunOwnedElsewhere):
        other.add_progress(run_id, "p")
    owner.close()
    other.close()


_CRASH = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from hitl_desktop.core.models import ReviewRequest
    from hitl_desktop.core.store import PendingKind, RunStore, request_to_json
    store = RunStore.open(Path(sys.argv[1]))
    working = store.create_run("Working", "m")
    store.add_round(working, 1, "Half-way notes")
    store.save_report(working, "# Half a report", final=False)
    waiting = store.create_run("Waiting", "m")
    store.add_round(waiting, 1, "Notes to review")
    request = ReviewRequest(round=1, topic="Waiting", notes="Notes to review")
    store.save_pending(waiting, PendingKind.REVIEW, request_to_json(request), {"state": {"round": 1}})
    store.save_draft(waiting, 1, "Notes, edited", "Go on")
    done = store.create_run("Done", "m")
    store.save_report(done, "# Done", final=True)
    print(working, waiting, done, flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_runs_of_a_crashed_app_are_interrupted_or_wait_and_keep_their_work(store_path: Path) -> None:
    crashed = subprocess.run([sys.executable, "-c", _CRASH, str(store_path)], capture_output=True, text=True,
                             timeout=60, cwd=ROOT)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr
    working, waiting, done = crashed.stdout.split()
    with RunStore.open(store_path) as store:  # the default 60 s lease: the dead process is seen at once
        store.add_progress(waiting, "Taken over")  # a gone owner's run may be written
        recovery = store.recover_after_start()
        assert [s.id for s in recovery.interrupted] == [working]
        assert [s.id for s in recovery.waiting] == [waiting]
        interrupted = store.get(working)
        assert interrupted.summary.status is RunStatus.INTERRUPTED and interrupted.owner is None
        assert interrupted.rounds[0].notes == "Half-way notes" and interrupted.report.markdown == "# Half a report"
        assert interrupted.progress[-1].message.startswith("Interrupted")
        paused = store.get(waiting)
        assert paused.pending.context == {"state": {"round": 1}} and paused.draft.edited_notes == "Notes, edited"
        assert store.get(done).summary.status is RunStatus.DONE
        assert _rows(store_path, "SELECT count(*) FROM owners") == [(1,)]  # the dead owner is gone
        assert store.recover_after_start().interrupted == ()  # once only


def _interrupted_after_a_decision(store: RunStore, decision: ReviewDecision) -> str:
    """A run paused for review, answered with `decision`, then caught mid-report by a quit."""
    run_id = store.create_run("Tides", "m")
    request = ReviewRequest(round=1, topic="Tides", notes="Round one notes", citations=CITATIONS)
    store.add_round(run_id, 1, request.notes, request.citations)
    store.save_pending(run_id, PendingKind.REVIEW, request_to_json(request), {"state": {"round": 1}})
    store.record_decision(run_id, decision)
    store.save_report(run_id, "# Half a report", final=False)
    store.set_status(run_id, RunStatus.INTERRUPTED)
    return run_id


def test_an_interrupted_run_reopens_at_its_last_pause_with_its_decision_as_the_draft(store: RunStore) -> None:
    run_id = _interrupted_after_a_decision(store, ReviewDecision(round=1, approved=True, feedback="Shorter.",
                                                                 edited_notes="Round one notes, edited"))
    assert store.get(run_id).pending is None  # answered: nothing waits until it is reopened
    pending = store.reopen_interrupted(run_id)
    assert pending is not None and pending.kind is PendingKind.REVIEW
    assert pending.context == {"state": {"round": 1}}
    assert request_from_json(pending.request).notes == "Round one notes"
    reopened = store.get(run_id)
    assert reopened.summary.status is RunStatus.WAITING_FOR_REVIEW and reopened.pending == pending
    assert (reopened.draft.round, reopened.draft.edited_notes, reopened.draft.feedback) == (
        1, "Round one notes, edited", "Shorter.")
    assert reopened.report.markdown == "# Half a report"  # what it had written stays
    assert reopened.progress[-1].message.startswith("Resumed from its last pause")
    with pytest.raises(UserFacingError, match="not interrupted"):
        store.reopen_interrupted(run_id)  # once: it waits now


def test_an_interrupted_run_that_never_paused_runs_again_from_its_topic(store: RunStore) -> None:
    run_id = store.create_run("Tides", "m")
    store.set_status(run_id, RunStatus.INTERRUPTED)
    assert store.reopen_interrupted(run_id) is None
    reopened = store.get(run_id)
    assert reopened.summary.status is RunStatus.RUNNING and reopened.pending is None
    assert reopened.progress[-1].message.startswith("Resumed from the topic")


def test_a_finished_run_keeps_no_checkpoint(store: RunStore, store_path: Path) -> None:
    run_id = _interrupted_after_a_decision(store, ReviewDecision(round=1, approved=True))
    store.reopen_interrupted(run_id)
    store.record_decision(run_id, ReviewDecision(round=1, approved=True))
    store.save_report(run_id, "# Report", final=True)
    assert _rows(store_path, "SELECT count(*) FROM checkpoints") == [(0,)]
    with pytest.raises(UserFacingError, match="not interrupted"):
        store.reopen_interrupted(run_id)


# -- SIGKILL at any moment -------------------------------------------------------------------

_WRITER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from hitl_desktop.core.store import PendingKind, RunStore
    store = RunStore.open(Path(sys.argv[1]))
    print("ready", flush=True)
    n = 0
    while True:
        n += 1
        run_id = store.create_run(f"Topic {sys.argv[2]} {n}", "m")
        print("run", run_id, flush=True)
        for round in (1, 2, 3):
            store.add_round(run_id, round, f"Notes {round} " * 300)
            print("round", run_id, round, flush=True)
            store.save_draft(run_id, round, f"Draft {round} " * 50, f"Feedback {n}.{round}")
            print("draft", run_id, round, flush=True)
        store.save_pending(run_id, PendingKind.REVIEW, {"round": 3}, {"state": "x" * 5000})
        print("pending", run_id, flush=True)
""")


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_sigkill_mid_write_never_corrupts_or_loses_a_commit(store_path: Path) -> None:
    rng = random.Random(11)
    confirmed: dict[str, set[tuple[str, ...]]] = {"run": set(), "round": set(), "draft": set(), "pending": set()}
    for kill in range(20):
        writer = subprocess.Popen([sys.executable, "-c", _WRITER, str(store_path), str(kill)], cwd=ROOT,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(writer.stdout), daemon=True)
        reader.start()
        deadline = time.monotonic() + 10
        while "ready\n" not in lines and writer.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert "ready\n" in lines, writer.stderr.read()
        time.sleep(rng.uniform(0.02, 0.6))
        writer.send_signal(signal.SIGKILL)
        writer.wait()
        reader.join(timeout=5)
        writer.stderr.close()
        for line in lines[1:]:
            if not line.endswith("\n"):
                continue  # cut short by the kill
            kind, *key = line.split()
            confirmed[kind].add(tuple(key))

        assert _rows(store_path, "PRAGMA integrity_check") == [("ok",)]
        with RunStore.open(store_path) as store:
            assert store.problem is None
            runs = {s.id for s in store.list_runs(limit=100_000)}
            assert {key[0] for key in confirmed["run"]} <= runs
            for run_id, round in confirmed["round"]:
                assert int(round) in {r.round for r in store.get(run_id).rounds}
            for run_id, round in confirmed["draft"]:
                assert store.draft(run_id).round >= int(round)
            for (run_id,) in confirmed["pending"]:
                assert store.get(run_id).pending is not None
            store.recover_after_start()
    assert len(confirmed["run"]) >= 20 and confirmed["round"] and confirmed["draft"]

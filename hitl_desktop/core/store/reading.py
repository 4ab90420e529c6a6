"""Reading runs back: the SQL for the history list and topic search, and rows made into records."""

from __future__ import annotations

import json
import re
import sqlite3

from hitl_desktop.core.citations import Citation
from hitl_desktop.core.store.records import (
    Draft,
    Pending,
    PendingKind,
    ProgressLine,
    RunStatus,
    RunSummary,
    StoredDecision,
    StoredReport,
    StoredRound,
    StoredRun,
    Usage,
    parse_time,
)

SUMMARY = ("SELECT id, topic, status, model, created_at, updated_at, "
           "(SELECT count(*) FROM rounds WHERE rounds.run_id = runs.id) FROM runs")
NEWEST_FIRST = " ORDER BY created_at DESC, seq DESC LIMIT ?"


def list_query(query: str, limit: int, *, fts: bool) -> tuple[str, tuple]:
    """SQL and parameters for the newest `limit` runs whose topic matches every word of `query`:
    a word of the topic starts with it (FTS5), or the topic contains it (LIKE)."""
    words = re.findall(r"[^\W_]+", query)  # FTS5's own tokenizer splits at the same places
    if not words:
        return SUMMARY + NEWEST_FIRST, (limit,)
    if fts:
        match = " ".join(f'"{word}"*' for word in words)  # quoted: the user's text is never syntax
        where = " WHERE seq IN (SELECT rowid FROM runs_fts WHERE runs_fts MATCH ?)"
        return SUMMARY + where + NEWEST_FIRST, (match, limit)
    where = " WHERE " + " AND ".join(["topic LIKE ? ESCAPE '\\'"] * len(words))
    patterns = tuple("%" + re.sub(r"([\\%_])", r"\\\1", word) + "%" for word in words)
    return SUMMARY + where + NEWEST_FIRST, (*patterns, limit)


def summary(row: tuple) -> RunSummary:
    run_id, topic, status, model, created_at, updated_at, rounds = row
    return RunSummary(run_id, topic, RunStatus(status), model, parse_time(created_at), parse_time(updated_at),
                      rounds)


def draft(conn: sqlite3.Connection, run_id: str) -> Draft | None:
    row = conn.execute("SELECT round, edited_notes, feedback, at FROM drafts WHERE run_id = ?",
                       (run_id,)).fetchone()
    return Draft(row[0], row[1], row[2], parse_time(row[3])) if row else None


def run(conn: sqlite3.Connection, run_id: str) -> StoredRun | None:
    """Everything kept about `run_id` (call inside one read transaction), or None."""
    found = conn.execute(SUMMARY + " WHERE id = ?", (run_id,)).fetchone()
    if found is None:
        return None
    tokens_in, tokens_out, kind, request, context, pending_at, owner = conn.execute(
        "SELECT tokens_in, tokens_out, pending_kind, pending_request, pending_context, pending_at, owner "
        "FROM runs WHERE id = ?", (run_id,)).fetchone()
    rounds = tuple(
        StoredRound(number, notes, tuple(Citation.from_dict(c) for c in json.loads(citations)),
                    parse_time(at))
        for number, notes, citations, at in conn.execute(
            "SELECT round, notes, citations, at FROM rounds WHERE run_id = ? ORDER BY round", (run_id,)))
    decisions = tuple(
        StoredDecision(number, bool(approved), feedback, edited, tuple(json.loads(dropped)),
                       tuple(json.loads(pinned)), reviewer, parse_time(at))
        for number, approved, feedback, edited, dropped, pinned, reviewer, at in conn.execute(
            "SELECT round, approved, feedback, edited_notes, dropped_sources, pinned_sources, reviewer, at "
            "FROM decisions WHERE run_id = ? ORDER BY id", (run_id,)))
    report = conn.execute("SELECT markdown, final, model, at FROM reports WHERE run_id = ?",
                          (run_id,)).fetchone()
    progress = tuple(ProgressLine(message, parse_time(at)) for message, at in conn.execute(
        "SELECT message, at FROM progress WHERE run_id = ? ORDER BY id", (run_id,)))
    pending = (Pending(PendingKind(kind), json.loads(request), json.loads(context), parse_time(pending_at))
               if kind else None)
    return StoredRun(
        summary=summary(found), rounds=rounds, decisions=decisions,
        report=StoredReport(report[0], bool(report[1]), report[2], parse_time(report[3])) if report else None,
        usage=Usage(tokens_in, tokens_out), progress=progress, pending=pending, draft=draft(conn, run_id),
        owner=owner)

"""The run store: past runs and paused runs, kept in one SQLite file that survives quit and crashes.

    store = RunStore.open()              # never raises for a locked, read-only or damaged file
    if store.problem: show(store.problem)   # …and store.kept_file names a damaged file kept aside
    recovery = store.recover_after_start()  # interrupted runs, runs waiting for review or retry

    run_id = store.create_run(topic, "DashScope · qwen-max")
    store.add_progress(run_id, message) · add_round(run_id, round, notes, citations)
    store.save_pending(run_id, PendingKind.REVIEW, request_to_json(request), ctx.to_dict())
    store.save_draft(run_id, round, edited_notes, feedback)   # often, debounced by the UI
    store.record_decision(run_id, decision, reviewer)         # drops the draft, status running
    store.save_report(run_id, markdown, final=True, model=..., usage=Usage(tokens_in, tokens_out))
    store.list_runs(query, limit) · get(run_id) · draft(run_id) · delete(run_id) · claim(run_id)
    store.reopen_interrupted(run_id)  # back to its last pause (kept as a checkpoint), or None

Writes to a run another live app owns raise RunOwnedElsewhere; writes to a read-only store raise
StoreReadOnly; every error is a UserFacingError.

Modules: run_store (the API), records (the dataclasses it returns), schema (tables, versions,
migrations), opening (the file, whatever its state), owners (which app may write which run),
reading (rows to records, search), problems (the errors).
"""

from hitl_desktop.core.store.problems import (
    RunNotFound,
    RunOwnedElsewhere,
    StoreBusy,
    StoreDamaged,
    StoreProblem,
    StoreReadOnly,
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
    request_from_json,
    request_to_json,
)
from hitl_desktop.core.store.run_store import FILE_NAME, RunStore, default_path

__all__ = [
    "FILE_NAME", "Draft", "Pending", "PendingKind", "ProgressLine", "Recovery", "RunNotFound",
    "RunOwnedElsewhere", "RunStatus", "RunStore", "RunSummary", "StoreBusy", "StoreDamaged",
    "StoreProblem", "StoreReadOnly", "StoredDecision", "StoredReport", "StoredRound", "StoredRun",
    "Usage", "default_path", "request_from_json", "request_to_json",
]

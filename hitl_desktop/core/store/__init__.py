"""The run store: past runs and paused runs, kept in one SQLite file that survives quit and crashes.

    store = RunStore.open()              # never raises for a locked, read-only or damaged file
    if store.problem: show(store.problem)   # …and store.kept_file names a damaged file kept aside
    recovery = store.recover_after_start()  # interrupted runs, runs waiting for review or retry

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

"""A run recorded in the run store: kept at a pause, resumed by a new session, nothing re-run."""

from __future__ import annotations

import asyncio
from pathlib import Path

from scripted_model import Gate, ScriptedChatModel, ScriptedReply

from hitl_desktop.core.models import ReviewDecision, ReviewRequest
from hitl_desktop.core.run_recorder import RunRecorder
from hitl_desktop.core.session import ResearchSession
from hitl_desktop.core.store import RunStatus, RunStore, request_from_json


async def until(condition, seconds: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    """Wait for what the workflow streamed to reach the session (a few turns of the loop)."""
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the condition never held")


def pause_at_review_then_quit(store: RunStore, model: ScriptedChatModel) -> str:
    """Run until round 1 waits for review, type a draft, then quit the way the app does."""
    recorder = RunRecorder(store)

    async def go() -> None:
        session = ResearchSession(lambda: model, recorder=recorder)
        reviewed = asyncio.Event()

        def emit(update: object) -> None:
            if isinstance(update, ReviewRequest):
                reviewed.set()

        task = asyncio.create_task(session.run("tidal power", emit))
        await reviewed.wait()
        session.save_draft("my edited notes", "half-typed feedback")
        session.keep_for_later()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(go())
    assert recorder.run_id is not None
    return recorder.run_id


def test_a_pending_review_survives_quitting_and_resumes_without_re_researching(tmp_path: Path) -> None:
    model = ScriptedChatModel("round one notes", "the report")
    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)
    run_id = pause_at_review_then_quit(store, model)
    store.close()

    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)  # the next launch
    recovery = store.recover_after_start()
    assert [r.id for r in recovery.waiting] == [run_id]
    stored = store.get(run_id)
    assert stored.summary.status is RunStatus.WAITING_FOR_REVIEW
    assert stored.draft is not None and stored.draft.edited_notes == "my edited notes"
    request = request_from_json(stored.pending.request)
    assert isinstance(request, ReviewRequest) and request.notes == "round one notes"

    async def resume() -> object:
        session = ResearchSession(lambda: model, recorder=RunRecorder(store, run_id))

        def emit(update: object) -> None:
            if isinstance(update, ReviewRequest):  # shown again from the store
                asyncio.get_running_loop().call_soon(session.submit_decision, ReviewDecision(
                    round=update.round, approved=True, edited_notes=stored.draft.edited_notes))

        return await session.resume(request, stored.pending.context, emit)

    report = asyncio.run(resume())
    assert report.markdown == "the report"
    assert len(model.calls) == 2  # research once before quitting, the report after: nothing re-ran
    assert "my edited notes" in model.prompt(1)
    done = store.get(run_id)
    assert done.summary.status is RunStatus.DONE and done.report.markdown == "the report"
    assert [d.approved for d in done.decisions] == [True] and done.pending is None


def approve_then_cancel_mid_report(store: RunStore, model: ScriptedChatModel, gate: Gate, *,
                                   written: str, keep: bool) -> RunRecorder:
    """Approve round 1, wait until the report has `written` in it, then cancel the run: kept for
    later (the app quitting) or not (Stop)."""
    recorder = RunRecorder(store)

    async def go() -> None:
        session = ResearchSession(lambda: model, recorder=recorder)

        def emit(update: object) -> None:
            if isinstance(update, ReviewRequest):
                asyncio.get_running_loop().call_soon(session.submit_decision,
                                                     ReviewDecision(round=1, approved=True))

        task = asyncio.create_task(session.run("tides", emit))
        await gate.reached.wait()
        await until(lambda: session.draft is not None and written in session.draft.markdown)
        if keep:
            session.keep_for_later()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(go())
    return recorder


def test_a_run_quit_mid_report_is_interrupted_and_keeps_what_was_written(tmp_path: Path) -> None:
    gate = Gate(after_chunks=2)
    model = ScriptedChatModel("notes", ScriptedReply(["# Report\n\n", "First part. ", "never"], gate=gate))
    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)
    recorder = approve_then_cancel_mid_report(store, model, gate, written="First part.", keep=True)
    stored = store.get(recorder.run_id)
    assert stored.summary.status is RunStatus.INTERRUPTED
    assert stored.report is not None and not stored.report.final
    assert stored.report.markdown.startswith("# Report\n\nFirst part.")


def test_stopping_records_a_stopped_run_with_its_draft_and_progress(tmp_path: Path) -> None:
    gate = Gate(after_chunks=1)
    model = ScriptedChatModel("notes", ScriptedReply(["# Draft\n\n", "more"], gate=gate))
    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)
    recorder = approve_then_cancel_mid_report(store, model, gate, written="# Draft", keep=False)
    stored = store.get(recorder.run_id)
    assert stored.summary.status is RunStatus.STOPPED and "Draft: this report is unfinished" in stored.report.markdown
    assert any("Researching round 1" in line.message for line in stored.progress)
    assert [r.notes for r in stored.rounds] == ["notes"]


def test_a_run_interrupted_mid_report_resumes_from_its_review_pause_without_re_researching(tmp_path: Path) -> None:
    gate = Gate(after_chunks=2)
    model = ScriptedChatModel("round one notes", ScriptedReply(["# Report\n\n", "First part. ", "never"], gate=gate),
                              "# The report, written again")
    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)
    run_id = approve_then_cancel_mid_report(store, model, gate, written="First part.", keep=True).run_id
    store.close()

    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)  # the next launch
    pending = store.reopen_interrupted(run_id)
    assert pending is not None
    request = request_from_json(pending.request)
    assert isinstance(request, ReviewRequest) and request.notes == "round one notes"

    async def resume() -> object:
        session = ResearchSession(lambda: model, recorder=RunRecorder(store, run_id))

        def emit(update: object) -> None:
            if isinstance(update, ReviewRequest):  # the last pause, shown again
                asyncio.get_running_loop().call_soon(session.submit_decision,
                                                     ReviewDecision(round=update.round, approved=True))

        return await session.resume(request, pending.context, emit)

    report = asyncio.run(resume())
    assert report.markdown == "# The report, written again"
    assert len(model.calls) == 3  # research once; the report interrupted, then written again
    assert "round one notes" in model.prompt(2)
    done = store.get(run_id)
    assert done.summary.status is RunStatus.DONE and done.report.final
    assert [d.approved for d in done.decisions] == [True, True]


def test_a_run_interrupted_before_its_first_pause_researches_again_from_its_topic(tmp_path: Path) -> None:
    gate = Gate(after_chunks=1)
    model = ScriptedChatModel(ScriptedReply(["Half ", "never"], gate=gate), "notes, again", "the report")
    store = RunStore.open(tmp_path / "runs.sqlite3", heartbeat=False)
    recorder = RunRecorder(store)

    async def interrupted() -> None:
        session = ResearchSession(lambda: model, recorder=recorder)
        task = asyncio.create_task(session.run("tidal power", lambda _update: None))
        await gate.reached.wait()
        session.keep_for_later()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(interrupted())
    run_id = recorder.run_id
    assert store.get(run_id).summary.status is RunStatus.INTERRUPTED
    assert store.reopen_interrupted(run_id) is None  # no pause to go back to

    async def again() -> object:
        session = ResearchSession(lambda: model, recorder=RunRecorder(store, run_id))

        def emit(update: object) -> None:
            if isinstance(update, ReviewRequest):
                asyncio.get_running_loop().call_soon(session.submit_decision,
                                                     ReviewDecision(round=update.round, approved=True))

        return await session.run("tidal power", emit)

    assert asyncio.run(again()).markdown == "the report"
    assert len(model.calls) == 3
    done = store.get(run_id)  # the same run in the history, not a new one
    assert done.summary.status is RunStatus.DONE and [s.id for s in store.list_runs()] == [run_id]
    assert [r.notes for r in done.rounds] == ["notes, again"]

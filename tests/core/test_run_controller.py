"""The run's rules (core.run.RunController) with plain pytest: no Qt, no window, no model.

A fake run handle stands in for the bridge and a fake prompter for the window's message boxes:
each question is recorded with the callback that answers it, so a test answers when it likes.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.models import Report
from hitl_desktop.core.run import RunController, SaveChoice


class FakeRun:
    def __init__(self) -> None:
        self.active: list[str] = []  # the ids of the runs going
        self.keeps_runs = False
        self.stopped: list[str] = []
        self.shutdowns = 0

    @property
    def is_running(self) -> bool:
        return bool(self.active)

    @property
    def running_count(self) -> int:
        return len(self.active)

    @property
    def stops(self) -> int:
        return len(self.stopped)

    def is_active(self, run_id: str | None) -> bool:
        return run_id in self.active

    def stop(self, run_id: str | None = None) -> None:
        self.stopped.append(run_id)
        self.active.remove(run_id)

    async def shutdown(self) -> None:
        self.shutdowns += 1
        await asyncio.sleep(0)
        self.active.clear()


class FakePrompts:
    def __init__(self) -> None:
        self.stop_questions: list[tuple[str, Callable[[bool], None]]] = []
        self.save_questions: list[Callable[[SaveChoice], None]] = []
        self.save_dialogs: list[Callable[[], None]] = []
        self.dismissed = 0
        self.closed = 0
        self.status: list[str] = []

    def confirm_stop(self, verb: str, answer: Callable[[bool], None]) -> None:
        self.stop_questions.append((verb, answer))

    def dismiss_stop_question(self) -> None:
        self.dismissed += 1

    def ask_save_first(self, answer: Callable[[SaveChoice], None]) -> None:
        self.save_questions.append(answer)

    def save_report_as(self, then: Callable[[], None]) -> None:
        self.save_dialogs.append(then)

    def show_status(self, text: str) -> None:
        self.status.append(text)

    def close_window(self) -> None:
        self.closed += 1


class Harness:
    def __init__(self) -> None:
        self.run = FakeRun()
        self.prompts = FakePrompts()
        self.rules = RunController(self.run, self.prompts)
        self.starts = 0

    def start(self) -> str:
        self.starts += 1
        run_id = f"run-{self.starts}"
        self.run.active.append(run_id)
        return run_id

    @property
    def newest(self) -> str | None:
        return self.run.active[-1] if self.run.active else None

    def press_run(self) -> None:
        self.rules.request_run(self.start)

    def end(self, run_id: str) -> None:
        self.run.active.remove(run_id)
        self.rules.run_ended(run_id)

    def finish_with_report(self) -> Report:
        report = Report(topic="tides", markdown="# Tides", rounds=1)
        run_id = self.newest
        self.run.active.remove(run_id)
        self.rules.report_arrived(report)
        self.rules.run_ended(run_id)
        return report

    def reviewed_run(self) -> str:
        self.press_run()
        self.rules.review_requested(self.newest)
        return self.newest


async def turn() -> None:
    """Let what the rules scheduled for the next turn of the loop run."""
    for _ in range(3):
        await asyncio.sleep(0)


def on_a_loop(test: Callable[..., Coroutine[Any, Any, None]]) -> Callable[..., None]:
    """Run an async test on a fresh asyncio loop (the rules schedule on the running loop)."""
    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


@pytest.fixture
def h() -> Harness:
    return Harness()


def test_a_run_without_reviewed_work_stops_without_asking(h: Harness) -> None:
    h.press_run()
    h.rules.request_stop(h.newest)
    assert h.run.stops == 1 and h.prompts.stop_questions == []


def test_stopping_after_a_review_asks_and_keep_running_keeps_it(h: Harness) -> None:
    run_id = h.reviewed_run()
    h.rules.request_stop(run_id)
    h.rules.request_stop(run_id)  # pressed again while asking: one question
    assert [verb for verb, _ in h.prompts.stop_questions] == ["Stop Run"]
    h.prompts.stop_questions[0][1](False)
    assert h.run.stops == 0 and h.run.is_running
    h.rules.request_stop(run_id)
    h.prompts.stop_questions[1][1](True)
    assert h.run.stopped == [run_id]


def test_stop_without_asking_is_for_scripts(h: Harness) -> None:
    h.rules.request_stop(h.reviewed_run(), ask=False)
    assert h.run.stops == 1 and h.prompts.stop_questions == []


@on_a_loop
async def test_a_run_that_ends_while_the_stop_question_is_up_dismisses_it_and_goes_on(h: Harness) -> None:
    run_id = h.reviewed_run()
    assert not h.rules.request_close()
    verb, answer = h.prompts.stop_questions[0]
    assert verb == "Stop and Quit"
    h.end(run_id)  # finished meanwhile: nothing left to lose
    assert h.prompts.dismissed == 1
    await turn()
    assert h.prompts.closed == 1 and h.rules.close_allowed
    answer(True)  # a late click on the box that went away changes nothing
    assert h.run.stops == 0 and h.prompts.closed == 1


def test_an_unsaved_report_asks_before_a_new_run_and_cancel_keeps_it(h: Harness) -> None:
    h.press_run()
    report = h.finish_with_report()
    h.press_run()
    h.press_run()  # a second press while asking asks nothing more
    assert len(h.prompts.save_questions) == 1 and h.starts == 1
    h.prompts.save_questions[0](SaveChoice.CANCEL)
    assert h.starts == 1 and h.rules.report is report and not h.rules.report_saved


def test_discard_starts_the_run_and_save_starts_it_once_saved(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.press_run()
    h.prompts.save_questions[0](SaveChoice.DISCARD)
    assert h.starts == 2 and h.rules.report is None

    h.finish_with_report()
    h.press_run()
    h.prompts.save_questions[1](SaveChoice.SAVE)
    assert h.starts == 2 and len(h.prompts.save_dialogs) == 1
    h.rules.begin_write()
    h.rules.end_write(saved=True)
    h.prompts.save_dialogs[0]()  # the dialog's save is done: what was asked goes ahead
    assert h.starts == 3


@on_a_loop
async def test_quit_during_a_save_waits_for_the_file_then_closes(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.rules.begin_write()
    assert not h.rules.request_close()
    assert h.prompts.save_questions == [] and h.prompts.closed == 0
    assert h.prompts.status == ["Finishing the save…"]
    h.rules.end_write(saved=True)
    await turn()
    assert h.prompts.closed == 1 and h.rules.request_close()


@on_a_loop
async def test_a_save_failing_while_quitting_keeps_the_window_and_asks(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.rules.begin_write()
    h.rules.request_close()
    h.rules.end_write(saved=False)
    await turn()
    assert h.prompts.closed == 0 and len(h.prompts.save_questions) == 1
    h.prompts.save_questions[0](SaveChoice.CANCEL)
    await turn()
    assert h.prompts.closed == 0 and not h.rules.close_allowed


@on_a_loop
async def test_run_pressed_twice_during_a_save_starts_one_run_after_it(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.rules.begin_write()
    h.press_run()
    h.press_run()
    assert h.starts == 1
    h.rules.end_write(saved=True)
    await turn()
    assert h.starts == 2 and h.prompts.save_questions == []


@on_a_loop
async def test_run_pressed_after_quit_during_a_save_does_not_keep_the_app_open(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.rules.begin_write()
    h.rules.request_close()
    h.press_run()  # a stray Ctrl+Enter after Quit
    h.rules.end_write(saved=True)
    await turn()
    assert h.prompts.closed == 1 and h.starts == 1


@on_a_loop
async def test_terminate_during_a_save_finishes_the_file_and_asks_nothing_even_if_it_fails(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.rules.begin_write()
    h.rules.request_close()  # the person quits: waits for the save
    h.rules.close_without_asking()  # then the session ends (SIGTERM)
    assert not h.rules.request_close()
    await turn()
    assert h.prompts.closed == 0  # the file is still being written
    h.rules.end_write(saved=False)
    await turn()
    assert h.prompts.closed == 1 and h.prompts.save_questions == []


@on_a_loop
async def test_quit_with_a_run_going_winds_it_down_first(h: Harness) -> None:
    h.press_run()
    assert not h.rules.request_close()  # nothing reviewed yet: no question
    assert h.prompts.stop_questions == [] and h.prompts.closed == 0
    await turn()
    assert h.run.shutdowns == 1 and h.prompts.closed == 1
    h.press_run()  # closing: no new run
    assert h.starts == 1


def test_one_write_at_a_time(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    assert h.rules.begin_write() is h.rules.report
    with pytest.raises(UserFacingError, match="still being saved"):
        h.rules.begin_write()
    assert h.rules.is_writing
    h.rules.end_write(saved=True)
    assert not h.rules.is_writing and h.rules.report_saved


def test_a_write_of_an_older_report_does_not_mark_a_newer_one_saved(h: Harness) -> None:
    h.press_run()
    h.finish_with_report()
    h.rules.begin_write()
    newer = Report(topic="tides again", markdown="# Newer", rounds=2)
    h.rules.report_arrived(newer)
    h.rules.end_write(saved=True)
    assert h.rules.report is newer and not h.rules.report_saved


@on_a_loop
async def test_where_runs_are_kept_quitting_asks_nothing_about_the_run(h: Harness) -> None:
    h.run.keeps_runs = True
    h.reviewed_run()
    assert not h.rules.request_close()
    assert h.prompts.stop_questions == [] and h.prompts.status == ["Keeping the run for next time: it waits where it was…"]
    await turn()
    assert h.run.shutdowns == 1 and h.prompts.closed == 1 and h.run.stops == 0


# -- several runs at once --------------------------------------------------------------------


def test_a_new_run_starts_while_another_waits_for_review(h: Harness) -> None:
    waiting = h.reviewed_run()
    h.press_run()
    assert h.starts == 2 and h.run.active == [waiting, "run-2"]


def test_stop_acts_on_one_run_and_asks_only_about_that_runs_reviewed_work(h: Harness) -> None:
    reviewed = h.reviewed_run()
    h.press_run()
    fresh = h.newest
    h.rules.request_stop(fresh)  # nothing reviewed in it: no question
    assert h.run.stopped == [fresh] and h.prompts.stop_questions == []
    h.rules.request_stop(reviewed)
    assert [verb for verb, _ in h.prompts.stop_questions] == ["Stop Run"]
    h.prompts.stop_questions[0][1](True)
    assert h.run.stopped == [fresh, reviewed]
    h.rules.request_stop("a run that is not going")
    assert h.run.stops == 2


@on_a_loop
async def test_quit_asks_until_no_run_with_reviewed_work_is_left(h: Harness) -> None:
    reviewed = h.reviewed_run()
    h.press_run()
    other = h.newest
    assert not h.rules.request_close()
    assert [verb for verb, _ in h.prompts.stop_questions] == ["Stop and Quit"]
    h.end(other)  # the other run ending changes nothing: reviewed work is still at stake
    assert h.prompts.dismissed == 0
    h.end(reviewed)
    assert h.prompts.dismissed == 1
    await turn()
    assert h.prompts.closed == 1


@on_a_loop
async def test_where_runs_are_kept_quitting_says_how_many_are_kept(h: Harness) -> None:
    h.run.keeps_runs = True
    h.reviewed_run()
    h.press_run()
    assert not h.rules.request_close()
    assert h.prompts.status == ["Keeping 2 runs for next time: each waits where it was…"]
    await turn()
    assert h.run.shutdowns == 1 and h.prompts.closed == 1 and h.run.stops == 0

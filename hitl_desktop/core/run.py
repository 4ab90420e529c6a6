"""The run's rules, without Qt: what Run, Stop, Quit and Save may do, and in which order.

The window forwards a person's commands here and shows what follows; it keeps no rules of its
own. The controller owns the state the rules depend on (is the report saved, was research
reviewed, is a file being written, what waits for that write, is the window closing) and asks
its questions through `RunPrompts`, which the window implements with message boxes. Answers come
back through the callbacks each question is given, so no question blocks the event loop.

Several runs may go at once (a new topic starts while another run waits for review); each is
known by its run id. Stop acts on one run; Quit on them all.

The rules:
- Run, Stop and Quit never throw work away unasked: a run with reviewed research asks before it
  is stopped; an unsaved report asks "save first?" before a new run or Quit replaces it. Where
  the run history can be written, Quit keeps a run for later instead of ending it, so it asks
  nothing about the run.
- One file write at a time. Run or Quit pressed meanwhile waits for it, then asks only if the
  report is still unsaved (the write failed). One action waits, the newest, but Quit wins: Run
  pressed twice starts one run, and Run pressed after Quit does not keep the app open.
- Quit finishes the file being written and winds the run down before the window closes.
  Quitting without asking (SIGTERM at logout: nobody is there) still finishes the file.
- A run that ends while "Stop this run?" is up leaves nothing to lose: the question goes and
  what was asked goes ahead (for Quit, once no run with reviewed research is left).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from enum import Enum
from typing import Protocol

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import Report

log = logging.getLogger(__name__)

Action = Callable[[], None]


class SaveChoice(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


class RunPrompts(Protocol):
    """The questions the rules ask a person, and what they tell the window to do."""

    def confirm_stop(self, verb: str, answer: Callable[[bool], None]) -> None:
        """Ask before stopping a run with reviewed research; `answer(True)` means stop."""

    def dismiss_stop_question(self) -> None:
        """Take the stop question away unanswered (the run ended meanwhile)."""

    def ask_save_first(self, answer: Callable[[SaveChoice], None]) -> None:
        """Ask whether to save the unsaved report before it is replaced or the app quits."""

    def save_report_as(self, then: Action) -> None:
        """Let the person save the report (a file dialog); `then()` once it is saved."""

    def show_status(self, text: str) -> None:
        """A one-line, passing status ("Finishing the save…")."""

    def close_window(self) -> None:
        """Close the window now: the rules have allowed it (`close_allowed` is true)."""


class RunHandle(Protocol):
    """What the rules need of the running workflows (the bridge)."""

    @property
    def is_running(self) -> bool:
        """Whether any run is going."""

    @property
    def running_count(self) -> int: ...

    def is_active(self, run_id: str | None) -> bool: ...

    @property
    def keeps_runs(self) -> bool:
        """Quitting keeps a run for later (in the run history) instead of ending it."""

    def stop(self, run_id: str | None = None) -> None: ...

    async def shutdown(self) -> None: ...


class RunController:
    def __init__(self, run: RunHandle, prompts: RunPrompts) -> None:
        self._run = run
        self._prompts = prompts
        self.report: Report | None = None
        self.report_saved = True
        self.close_allowed = False
        self._reviewed: set[str] = set()  # runs going with a review done: stopping them asks first
        self._ask_before_closing = True
        self._asking_stop: Action | None = None  # what a "yes" to the open stop question does
        self._asking_stop_for: str | None = None  # the run it asks about (None: all, for Quit)
        self._asking_save = False
        self._writing: Report | None = None
        self._write_done = asyncio.Event()
        self._write_done.set()
        self._after_write: Action | None = None
        self._after_write_closes = False
        self._shutdown: asyncio.Task[None] | None = None

    # ----- what happened ------------------------------------------------------------------

    def run_started(self, run_id: str) -> None:
        """A new run: it is shown in place of the last report."""
        self.report = None
        self.report_saved = True
        self._reviewed.discard(run_id)

    def review_requested(self, run_id: str) -> None:
        self._reviewed.add(run_id)

    def report_arrived(self, report: Report) -> None:
        """A finished report, or the draft a stopped run left: unsaved until written."""
        self.report = report
        self.report_saved = False

    def report_shown(self, report: Report | None) -> None:
        """A report from the history (None: a run with none yet): shown to read, save or copy
        again, not unsaved work."""
        self.report = report
        self.report_saved = True

    def run_ended(self, run_id: str) -> None:
        """Run `run_id` is over (finished, failed, stopped): a stop question about it is moot."""
        self._reviewed.discard(run_id)
        if self._asking_stop is None or self._asking_stop_for not in (run_id, None):
            return
        if self._asking_stop_for is None and self._reviewed:
            return  # quitting still throws reviewed work away
        proceed, self._asking_stop = self._asking_stop, None
        self._prompts.dismiss_stop_question()
        asyncio.get_running_loop().call_soon(proceed)

    # ----- commands -----------------------------------------------------------------------

    def request_run(self, start: Callable[[], str | None]) -> None:
        """Run, once an unsaved report is saved or discarded; other runs may be going. `start()`
        starts the run and returns its id, or None if it did not start (a bad topic)."""
        if self._closing:
            return

        def start_now() -> None:
            if self._closing:  # quitting now
                return
            run_id = start()
            if run_id is not None:
                self.run_started(run_id)

        self._unless_unsaved_report_kept(start_now)

    def request_stop(self, run_id: str | None, *, ask: bool = True) -> None:
        """Stop run `run_id`; once its research was reviewed, only if the person confirms."""
        if run_id is None or not self._run.is_active(run_id):
            return
        def stop() -> None:
            self._stop_now(run_id)

        if ask:
            self._unless_reviewed_work_kept("Stop Run", stop, run_id)
        else:
            stop()

    def request_close(self) -> bool:
        """The window is asked to close: True if it may close now; otherwise the rules run
        (questions, the file being written, the run winding down) and call `close_window`."""
        if self.close_allowed:
            return True
        if self._ask_before_closing and not self._run.keeps_runs:
            self._unless_reviewed_work_kept("Stop and Quit", lambda: self._unless_unsaved_report_kept(
                self._close_after_shutdown, closing=True), None)
        elif self._ask_before_closing:  # the run is kept for later: only an unsaved report asks
            self._unless_unsaved_report_kept(self._close_after_shutdown, closing=True)
        else:
            self._close_after_shutdown()
        return False

    def close_without_asking(self) -> None:
        """From now on, closing asks nothing (SIGTERM at logout: nobody is there to answer)."""
        self._ask_before_closing = False

    # ----- writing files ------------------------------------------------------------------

    @property
    def is_writing(self) -> bool:
        return self._writing is not None

    def begin_write(self) -> Report | None:
        """Start writing the current report's files; UserFacingError if a write is going."""
        if self._writing is not None:
            raise UserFacingError("The report is still being saved.", "Try again when that is done.",
                                  ErrorKind.BAD_INPUT)
        self._writing = self.report
        self._write_done.clear()
        return self._writing

    def end_write(self, *, saved: bool) -> None:
        """The write is over. What waited for it goes ahead on the next turn of the loop, after
        the write's own continuation (a Save's "then")."""
        report, self._writing = self._writing, None
        self._write_done.set()
        if saved and report is self.report:  # not a newer report that arrived meanwhile
            self.report_saved = True
        pending, self._after_write = self._after_write, None
        self._after_write_closes = False
        if pending is not None and not self._closing:
            asyncio.get_running_loop().call_soon(pending)

    # ----- the rules ----------------------------------------------------------------------

    @property
    def _closing(self) -> bool:
        return self._shutdown is not None or self.close_allowed

    def _stop_now(self, run_id: str) -> None:
        if self._run.is_active(run_id):
            self._prompts.show_status("Stopping…")
            self._run.stop(run_id)

    def _unless_reviewed_work_kept(self, verb: str, proceed: Action, run_id: str | None) -> None:
        """`proceed` now, or once the person confirms throwing reviewed research away: that of
        run `run_id`, or of any run when None."""
        reviewed = run_id in self._reviewed if run_id is not None else bool(self._reviewed)
        if not (reviewed and self._run.is_running and self._ask_before_closing):
            proceed()
            return
        if self._asking_stop is not None:
            return  # already asking
        self._asking_stop, self._asking_stop_for = proceed, run_id

        def answered(stop: bool) -> None:
            confirmed, self._asking_stop = self._asking_stop, None
            if stop and confirmed is not None:
                confirmed()

        self._prompts.confirm_stop(verb, answered)

    def _unless_unsaved_report_kept(self, proceed: Action, *, closing: bool = False) -> None:
        """`proceed` now, or once the unsaved report is saved or discarded."""
        if self.report is None or self.report_saved:
            proceed()
            return
        if self._writing is not None:  # being saved: ask only if that save fails
            self._prompts.show_status("Finishing the save…")
            if closing or not self._after_write_closes:
                self._after_write = lambda: self._unless_unsaved_report_kept(proceed, closing=closing)
                self._after_write_closes = closing
            return
        if self._asking_save:
            return  # already asking; a second question would run `proceed` twice

        def answered(choice: SaveChoice) -> None:
            self._asking_save = False
            if choice is SaveChoice.SAVE:
                self._prompts.save_report_as(then=proceed)
            elif choice is SaveChoice.DISCARD:
                self.report_saved = True
                proceed()

        self._asking_save = True
        self._prompts.ask_save_first(answered)

    def _close_after_shutdown(self) -> None:
        if self._closing:
            return
        if not self._run.is_running and self._writing is None:
            self.close_allowed = True
            self._prompts.close_window()
            return
        self._prompts.show_status(self._closing_status())
        self._shutdown = asyncio.get_running_loop().create_task(self._shut_down(), name="shutdown")

    def _closing_status(self) -> str:
        count = self._run.running_count
        if not self._run.is_running:
            return "Finishing the save before closing…"
        if not self._run.keeps_runs:
            return "Stopping the run before closing…" if count == 1 else f"Stopping {count} runs before closing…"
        return ("Keeping the run for next time: it waits where it was…" if count == 1
                else f"Keeping {count} runs for next time: each waits where it was…")

    async def _shut_down(self) -> None:
        await self._write_done.wait()  # a report file is half written: finish it first
        await self._run.shutdown()
        self.close_allowed = True
        self._prompts.close_window()

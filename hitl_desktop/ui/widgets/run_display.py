"""RunDisplay: which run the window's panes show, and what each run going has shown so far.

Several runs may go at once (one waits for review while another researches), but the panes —
the progress list, the research preview and the report view — show one run: the selected one
(a new run is selected when it starts; the History selects another). Each going run's progress
lines, research notes and report text are kept here as they arrive, so selecting it again shows
it whole; updates of a run not shown are kept and not drawn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Signal

from hitl_desktop.ui.widgets.progress_list import ProgressList
from hitl_desktop.ui.widgets.report_view import ReportView
from hitl_desktop.ui.widgets.research_preview import ResearchPreview

if TYPE_CHECKING:  # neither the run store (SQLite) nor the run data are needed for the first frame
    from hitl_desktop.core.models import ProgressUpdate, ResearchDelta, ReviewRequest
    from hitl_desktop.core.store import StoredRun


class _RunSoFar:
    """What a run has shown so far. Not a dataclass: the first frame needs this module, and
    importing dataclasses and generating the class took it a millisecond."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.lines: list[tuple[ProgressUpdate, bool]] = []  # (line, is an error)
        self.research: list[ResearchDelta] = []  # the round being written
        self.research_chars = 0  # their length, counted as they come (thousands a second)
        self.review: ReviewRequest | None = None  # the last round sent for review
        self.report: list[str] = []


class RunDisplay(QObject):
    shownChanged = Signal(str)  # the topic of the run now shown

    def __init__(self, progress: ProgressList, report: ReportView, research: ResearchPreview,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._progress = progress
        self._report = report
        self._research = research
        self._runs: dict[str, _RunSoFar] = {}
        self.shown: str | None = None  # the run on the panes (going, or from the history)

    def is_shown(self, run_id: str) -> bool:
        return run_id == self.shown

    def research_chars(self, run_id: str) -> int:
        """How much of the research round being written has arrived."""
        run = self._runs.get(run_id)
        return run.research_chars if run is not None else 0

    # ----- choosing the run shown ---------------------------------------------------------

    def add(self, run_id: str, topic: str) -> None:
        """A run started or was taken up again: kept from now on (not shown until selected)."""
        self._runs[run_id] = _RunSoFar(topic)

    def show(self, run_id: str) -> bool:
        """Put a going run on the panes with all it has shown so far; False if it is not going."""
        run = self._runs.get(run_id)
        if run is None:
            return False
        self.shown = run_id
        self.shownChanged.emit(run.topic)
        self._progress.clear()
        for line, error in run.lines:
            self._progress.add(line, error=error)
        self._research.clear()
        if run.review is not None:
            self._research.show_review(run.review)
        for delta in run.research:
            self._research.add_delta(delta)
        self._report.clear_report()
        if run.report:
            self._report.append_delta("".join(run.report))
        return True

    def show_stored(self, run: StoredRun) -> None:
        """Put a run from the history on the panes as it was kept: its progress and its report."""
        self.shown = run.id
        self.shownChanged.emit(run.summary.topic)
        self._progress.clear()
        from hitl_desktop.core.models import ProgressUpdate

        for line in run.progress:
            self._progress.add(ProgressUpdate(line.message, at=line.at))
        self._research.clear()
        self._report.clear_report()
        if run.report is not None:
            self._report.show_report(run.report.markdown)

    # ----- what a run shows ---------------------------------------------------------------

    def failed(self, run_id: str, message: str) -> None:
        """A line saying the run failed, marked as an error."""
        from hitl_desktop.core.models import ProgressUpdate

        self.progress(run_id, ProgressUpdate(f"Failed: {message}"), error=True)

    def progress(self, run_id: str, update: ProgressUpdate, *, error: bool = False) -> None:
        run = self._runs.get(run_id)
        if run is not None:
            run.lines.append((update, error))
        if self.is_shown(run_id):
            self._progress.add(update, error=error)

    def mark_last_as_error(self, run_id: str) -> None:
        run = self._runs.get(run_id)
        if run is not None and run.lines:
            run.lines[-1] = (run.lines[-1][0], True)
        if self.is_shown(run_id):
            self._progress.mark_last_as_error()

    def research_delta(self, run_id: str, delta: ResearchDelta) -> None:
        run = self._runs.get(run_id)
        if run is not None:
            if run.research and run.research[-1].round != delta.round:
                run.research.clear()  # a new round: the last one's notes go
                run.research_chars = 0
            run.research.append(delta)
            run.research_chars += len(delta.text)
        if self.is_shown(run_id):
            self._research.add_delta(delta)

    def review_requested(self, run_id: str, request: ReviewRequest) -> None:
        run = self._runs.get(run_id)
        if run is not None:
            run.review, run.research, run.research_chars = request, [], 0
        if self.is_shown(run_id):
            self._research.show_review(request)

    def report_delta(self, run_id: str, text: str) -> None:
        run = self._runs.get(run_id)
        if run is not None:
            run.report.append(text)
        if self.is_shown(run_id):
            self._report.append_delta(text)

    def report_restarted(self, run_id: str) -> None:
        """The report is written again from the start (a Retry of a failed report)."""
        run = self._runs.get(run_id)
        if run is not None:
            run.report.clear()
        if self.is_shown(run_id):
            self._report.clear_report()

    def ended(self, run_id: str) -> None:
        """The run is over: it stays on the panes if shown; the history keeps it from now on."""
        self._runs.pop(run_id, None)

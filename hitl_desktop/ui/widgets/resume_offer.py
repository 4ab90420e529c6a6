"""ResumeOfferBar: "Resume now" for a team run whose server was killed mid-step.

A restarted team server takes up a run it lost mid-step only after a grace of about 30 s; the
run's session says so with a ResumeOffer. For the run shown, the problem bar says it too, with
a Resume now button that asks the server to take the run up at once. The offer goes as soon
as the run moves again (research, a review, a failure, its end), or when it is taken.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject

from hitl_desktop.core.models import ProgressUpdate, ResumeOffer
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.ui.widgets.banner import ProblemBar

RESUME_NOW = "Resume now"
_WHY = ("The team server was restarted while this run was mid-step; on its own it takes such a "
        "run up again after about 30 s. Resume now runs the interrupted step again at once.")


class ResumeOffers(QObject):
    """Shows the shown run's ResumeOffer on `bar` (`shown()`: the id of the run on the panes)."""

    def __init__(self, bridge: WorkflowBridge, bar: ProblemBar, shown: Callable[[], str | None],
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._bridge = bridge
        self._bar = bar
        self._shown = shown
        self._offered: str | None = None  # the run whose offer the bar shows
        bridge.progress.connect(self._on_progress)
        for moved in (bridge.researchDelta, bridge.reviewRequested, bridge.stepFailed):
            moved.connect(lambda run_id, _update: self._withdraw(run_id))
        bridge.runEnded.connect(self._withdraw)

    @property
    def offered(self) -> str | None:
        return self._offered if self._showing() else None

    def _on_progress(self, run_id: str, update: ProgressUpdate) -> None:
        if isinstance(update, ResumeOffer) and run_id == self._shown():
            self._offered = run_id
            self._bar.show_error(update.message, _WHY, [("Resume &now", lambda: self.resume(run_id))])

    def resume(self, run_id: str) -> None:
        """Resume now pressed: the bar goes whether or not the run still waited (then it has moved)."""
        self._withdraw(run_id)
        self._bridge.resume_now(run_id)

    def _withdraw(self, run_id: str) -> None:
        if run_id == self._offered and self._showing():
            self._bar.hide()
        if run_id == self._offered:
            self._offered = None

    def _showing(self) -> bool:
        """The bar still shows the offer (not since replaced by another problem, nor dismissed)."""
        return not self._bar.isHidden() and self._bar.action(RESUME_NOW) is not None

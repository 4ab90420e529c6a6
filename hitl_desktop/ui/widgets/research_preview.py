"""ResearchPreview: the research notes as the model writes them, under the progress list.

While a research round ran, the window showed only a count of characters received; the notes
themselves appeared when the review opened. This shows them rendered as they stream in, with the
report view's streaming (finished blocks rendered once, the unfinished tail at most every 40 ms),
so a fast model does not freeze the window. The last round's notes stay until the next run.
It shows one run's notes: the window's RunDisplay feeds it those of the run shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QLabel, QSplitter, QVBoxLayout, QWidget

from hitl_desktop.ui.widgets.qt_enums import set_enum
from hitl_desktop.ui.widgets.report_view import StreamingMarkdownView

if TYPE_CHECKING:  # the run data classes load after the first frame (20 ms of dataclasses)
    from hitl_desktop.core.models import ResearchDelta, ReviewRequest


class ResearchPreview(QWidget):
    """Hidden until research text arrives."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("researchPreviewPane")
        self.title = QLabel(self, objectName="researchPreviewTitle")
        self.view = StreamingMarkdownView(self)
        self.view.setObjectName("researchStream")
        self.view.setAccessibleName("Research notes as they are written")
        self.title.setBuddy(self.view)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        layout.addWidget(self.title)
        layout.addWidget(self.view, 1)
        self._round = 0
        self.hide()

    @property
    def round(self) -> int:
        """The research round shown (0: none yet in this run)."""
        return self._round

    def markdown(self) -> str:
        return self.view.markdown()

    def beside(self, above: QWidget) -> QSplitter:
        """`above` and this preview in a vertical splitter, for the window's layout."""
        splitter = QSplitter()
        set_enum(splitter, "orientation", "Vertical")
        splitter.setObjectName("progressSplitter")
        splitter.addWidget(above)
        splitter.addWidget(self)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        return splitter

    def add_delta(self, delta: ResearchDelta) -> None:
        if delta.round != self._round:  # a new round (after the research was sent back)
            self._round = delta.round
            self.view.clear_report()
            self.title.setText(f"<b>Research notes</b> — round {delta.round}, being written…")
            self.show()
        self.view.append_delta(delta.text)

    def show_review(self, request: ReviewRequest) -> None:
        self._round = request.round
        self.title.setText(f"<b>Research notes</b> — round {request.round}, as sent for review")
        self.view.show_report(request.notes)
        self.show()

    def clear(self) -> None:
        """Another run is shown: this one's notes go."""
        self._round = 0
        self.view.clear_report()
        self.hide()

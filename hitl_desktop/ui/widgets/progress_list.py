"""ProgressList: the run's progress, one time-stamped line per step, newest at the bottom."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QListWidget, QListWidgetItem, QWidget

if TYPE_CHECKING:  # the run data classes load after the first frame (20 ms of dataclasses)
    from hitl_desktop.core.models import ProgressUpdate


class ProgressList(QListWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("progressList")
        # Several lines can be selected and copied (Edit > Copy), e.g. for a bug report.
        self.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.setAlternatingRowColors(True)
        self.setWordWrap(True)
        self.setAccessibleName("Progress")
        self._follow = True  # keep the newest line in view until the person scrolls up
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._on_scrolled)
        # A banner appearing above shrinks the list: the newest line must stay in view.
        bar.rangeChanged.connect(self._keep_newest_in_view)

    def note(self, message: str) -> None:
        """A line of the window's own (a file saved), stamped now."""
        from hitl_desktop.core.models import ProgressUpdate

        self.add(ProgressUpdate(message))

    def add(self, update: ProgressUpdate, *, error: bool = False) -> None:
        at = update.at.astimezone()
        item = QListWidgetItem(f"{at:%H:%M:%S}   {update.message}")
        item.setToolTip(at.isoformat(timespec="seconds"))
        if error:
            item.setIcon(self._warning_icon())
        self.addItem(item)
        self._keep_newest_in_view()

    def mark_last_as_error(self) -> None:
        item = self.item(self.count() - 1)
        if item is not None:
            item.setIcon(self._warning_icon())

    def selected_lines(self) -> list[str]:
        return [item.text() for item in self.selectedItems()]

    def _warning_icon(self):  # type: ignore[no-untyped-def]
        from PySide6.QtWidgets import QStyle  # its class and enums: 7-11 ms, not for the first frame

        return self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)

    def _on_scrolled(self, value: int) -> None:
        self._follow = value >= self.verticalScrollBar().maximum()

    def _keep_newest_in_view(self, *_range: int) -> None:
        if self._follow:
            self.scrollToBottom()

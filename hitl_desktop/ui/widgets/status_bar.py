"""StatusBar: passing messages that end in "…" where they would run under the provider label."""

from __future__ import annotations

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QStatusBar, QWidget

_MARGINS = 24  # the size grip and the spacing Qt keeps around the message


class StatusBar(QStatusBar):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._permanent: list[QWidget] = []
        self._full = ""

    def addPermanentWidget(self, widget: QWidget, stretch: int = 0) -> None:  # noqa: N802 (Qt name)
        super().addPermanentWidget(widget, stretch)
        self._permanent.append(widget)

    def showMessage(self, text: str, timeout: int = 0) -> None:  # noqa: N802 (Qt name)
        self._full = text
        shown = self._elided(text)
        super().showMessage(shown, timeout)
        self.setToolTip(text if shown != text else "")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        if self.currentMessage() and self._full:
            super().showMessage(self._elided(self._full))

    def _elided(self, text: str) -> str:
        room = self.width() - sum(w.width() for w in self._permanent if w.isVisible()) - _MARGINS
        from PySide6.QtCore import Qt  # not before the first frame, which shows no message: see qt_enums

        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 0))

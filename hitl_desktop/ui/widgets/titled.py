"""TitledPane: a pane with its title above it, the label its buddy (Alt+letter and screen readers
reach it). The title can name what the pane shows ("Report — tidal power in Europe")."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

_SUBJECT_CHARS = 80


def _escaped(text: str) -> str:
    """`text` for a rich-text label. Not html.escape: importing html (with its entity tables,
    2 ms) was the only reason the first frame needed it."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class TitledPane(QWidget):
    def __init__(self, title: str, widget: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title = title
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 6, 0, 0)
        self.label = QLabel(f"<b>{_escaped(title)}</b>", self)
        self.label.setBuddy(widget)
        layout.addWidget(self.label)
        layout.addWidget(widget, 1)

    def set_subject(self, subject: str) -> None:
        """Name what the pane shows after its title (with several runs going, which run's)."""
        subject = " ".join(subject.split())
        if len(subject) > _SUBJECT_CHARS:
            subject = subject[:_SUBJECT_CHARS - 1].rstrip() + "…"
        self.label.setText(f"<b>{_escaped(self._title)}</b>" + (f" — {_escaped(subject)}" if subject else ""))
        self.label.setToolTip(subject)

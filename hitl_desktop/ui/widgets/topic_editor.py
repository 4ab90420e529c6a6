"""TopicEditor: the research topic box and the hint under it (length, or why it cannot run)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QWidget

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.topic import MAX_TOPIC_CHARS, validate_topic
from hitl_desktop.core.text_safety import clean_text
from hitl_desktop.ui.widgets.qt_enums import set_enum


class TopicEditor(QObject):
    """Owns `topicInput` and `topicHint`; says whether the topic can run (`is_valid`, `changed`)
    and asks for a run on Ctrl+Enter (`runRequested`)."""

    changed = Signal()
    runRequested = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.input = QPlainTextEdit(parent, objectName="topicInput")
        self.input.setPlaceholderText("What should the agent research? "
                                      "For example: the economics of tidal power in Europe")
        self.input.setTabChangesFocus(True)
        self.input.setFixedHeight(self.input.fontMetrics().lineSpacing() * 3 + 14)
        self.input.installEventFilter(self)
        self.hint = QLabel(parent, objectName="topicHint")
        set_enum(self.hint, "textFormat", "PlainText")
        self.is_valid = False
        self.input.textChanged.connect(self._check)
        self._check()

    def text(self) -> str:
        """The topic as typed or pasted, as valid text: a NUL or another control character pasted
        from elsewhere goes no further (see `hitl_desktop.core.text_safety`)."""
        return clean_text(self.input.toPlainText())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # A text edit takes Ctrl+Enter as a line break before any window shortcut sees it.
        if event.type() == QEvent.Type.KeyPress:
            from PySide6.QtCore import Qt  # not before the first frame: see qt_enums

            if (event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
                    and event.modifiers() & Qt.KeyboardModifier.ControlModifier):
                self.runRequested.emit()
                return True
        return super().eventFilter(watched, event)

    def _check(self) -> None:
        try:
            topic = validate_topic(self.text())
        except UserFacingError as error:
            self.hint.setText(f"{error.message} {error.hint}".strip())
            # Red only once something was typed: an empty box is not a mistake yet.
            typed = bool(self.text().strip())
            self.hint.setStyleSheet(f"color: {self._error_color()};" if typed else "")
            self.is_valid = False
        else:
            self.hint.setText(f"{len(topic):,} / {MAX_TOPIC_CHARS:,} characters · Ctrl+Enter runs")
            self.hint.setStyleSheet("")
            self.is_valid = True
        self.changed.emit()

    def _error_color(self) -> str:
        from PySide6.QtGui import QPalette  # only once a topic is wrong: not for the first frame

        dark = self.input.palette().color(QPalette.ColorRole.Window).lightness() < 128
        return "#ff8a80" if dark else "#b3261e"  # both readable on their theme's background

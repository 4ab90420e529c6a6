"""MessageBar: an in-window banner for errors and notices (no modal box stealing focus)."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget


class MessageBar(QFrame):
    actionTriggered = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#messageBar { background: palette(alternate-base); border: 1px solid #c0392b;"
                           " border-radius: 4px; }")
        self._icon = QLabel(self)
        self.textLabel = QLabel(self)
        self.textLabel.setObjectName("messageText")
        self.textLabel.setWordWrap(True)
        self.textLabel.setTextFormat(Qt.TextFormat.RichText)
        self.textLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.actionButton = QPushButton(self)
        self.actionButton.setObjectName("messageAction")
        self.actionButton.clicked.connect(self.actionTriggered)
        close = QPushButton("Dismiss", self)
        close.setObjectName("messageDismiss")
        close.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.textLabel, 1)
        layout.addWidget(self.actionButton)
        layout.addWidget(close)
        self.hide()

    def show_error(self, message: str, hint: str = "", action: str = "") -> None:
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._icon.setPixmap(icon.pixmap(20, 20))
        text = f"<b>{html.escape(message)}</b>"
        if hint:
            text += f"<br>{html.escape(hint)}"
        self.textLabel.setText(text)
        self.actionButton.setText(action)
        self.actionButton.setVisible(bool(action))
        self.show()

    def message(self) -> str:
        return self.textLabel.text()

"""SetupBanner: one sentence saying what the app needs before a first run, and a way to give it."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget


class SetupBanner(QFrame):
    openSettings = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("setupBanner")
        self.setStyleSheet("#setupBanner { background: palette(alternate-base);"
                           " border: 1px solid palette(highlight); border-radius: 4px; }")
        icon = QLabel(self)
        icon.setPixmap(self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
                       .pixmap(20, 20))
        self.textLabel = QLabel(self)
        self.textLabel.setObjectName("setupText")
        self.textLabel.setWordWrap(True)
        self.textLabel.setTextFormat(Qt.TextFormat.PlainText)
        self.settingsButton = QPushButton("Open &Settings…", self)
        self.settingsButton.setObjectName("setupSettingsButton")
        self.settingsButton.clicked.connect(self.openSettings)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 6, 6, 6)
        row.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        row.addWidget(self.textLabel, 1)
        row.addWidget(self.settingsButton)
        self.hide()

    def show_need(self, sentence: str) -> None:
        """Show `sentence`, or hide the banner when it is empty (nothing is missing)."""
        self.textLabel.setText(sentence)
        self.setVisible(bool(sentence))

"""SettingsResultRow: the Settings dialog's row under the pages — Test Connection, and the
answer to the last thing done (a test, a save, a removed key), with an icon saying how it went.

While a keychain write does not answer, the row also offers to keep the key for this session
only (see `SettingsDialog.save`).
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QStyle, QVBoxLayout, QWidget

TEST_BUTTON_TEXT = "Test Co&nnection"


class SettingsResultRow(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.testButton = QPushButton(TEST_BUTTON_TEXT, objectName="testButton")
        self.testButton.setAutoDefault(False)
        self.testButton.setToolTip("Send one tiny request with these settings (not yet saved).")
        self.testIcon = QLabel(objectName="testIcon")
        self.testResultLabel = QLabel(objectName="testResultLabel")
        self.testResultLabel.setWordWrap(True)
        self.testResultLabel.setTextFormat(Qt.TextFormat.RichText)
        self.testResultLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Offered when a keychain write has not answered for a while.
        self.keepForSessionButton = QPushButton("&Use Key for This Session Only", objectName="keepForSessionButton")
        self.keepForSessionButton.setToolTip("Save the settings now and keep the key in memory until "
                                             "you quit, without waiting for the keychain")
        self.keepForSessionButton.hide()
        result_column = QVBoxLayout()
        result_column.addWidget(self.testResultLabel)
        result_column.addWidget(self.keepForSessionButton, 0, Qt.AlignmentFlag.AlignLeft)
        test_row = QHBoxLayout(self)
        test_row.setContentsMargins(0, 0, 0, 0)
        test_row.setSpacing(10)  # the dialog's own spacing, which the row had when it was part of its layout
        test_row.addWidget(self.testButton, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addWidget(self.testIcon, 0, Qt.AlignmentFlag.AlignTop)
        test_row.addLayout(result_column, 1)

    def show_result(self, rich_text: str, ok: bool | None) -> None:
        """`rich_text` beside a tick (ok), a warning (not ok) or no icon (None: under way, or nothing)."""
        self.testResultLabel.setText(rich_text)
        if ok is None:
            self.testIcon.clear()
            return
        pixmap = (QStyle.StandardPixmap.SP_DialogApplyButton if ok
                  else QStyle.StandardPixmap.SP_MessageBoxWarning)
        self.testIcon.setPixmap(self.style().standardIcon(pixmap).pixmap(18, 18))

    def result_text(self) -> str:
        return self.testResultLabel.text()

    def show_testing(self, testing: bool) -> None:
        self.testButton.setText("Testing…" if testing else TEST_BUTTON_TEXT)


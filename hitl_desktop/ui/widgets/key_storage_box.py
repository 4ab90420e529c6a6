"""KeyStorageBox: where a key typed in Settings is kept when there is no system keychain —
for this session only, or in a file only the person can read (permissions 0600).

Shown only once a key lookup says there is no keychain; the choice is then handed to the save
(`SettingsDialog.key_storage_choice`). The warning about the file is always shown, under the
choice it is about: read before choosing, and choosing does not grow the dialog (which would
move Save from under the pointer).
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QButtonGroup, QFrame, QHBoxLayout, QRadioButton, QStyle, QVBoxLayout, QWidget

from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings_service import KeyState
from hitl_desktop.ui.widgets.form_cells import esc, note_label


class KeyStorageBox(QFrame):
    def __init__(self, key_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="keyStorageBox")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        # Measured before the style sheet below wraps the style: the indent lines up with the
        # radio buttons' text, as the dialog's own style draws them.
        style = self.style()
        indent = style.pixelMetric(QStyle.PixelMetric.PM_ExclusiveIndicatorWidth) \
            + style.pixelMetric(QStyle.PixelMetric.PM_RadioButtonLabelSpacing)
        self.setStyleSheet("#keyStorageBox { border: 1px solid #d4a017; border-radius: 4px; }")
        self.noKeychainLabel = note_label("noKeychainLabel")
        self.sessionOnlyRadio = QRadioButton("Keep the key for this session only (type it again next time)",
                                             objectName="sessionOnlyRadio")
        self.keyFileRadio = QRadioButton("Keep it in a file only you can read (permissions 0600)",
                                         objectName="keyFileRadio")
        self.sessionOnlyRadio.setChecked(True)  # until a lookup says where the key is kept
        group = QButtonGroup(self)
        group.addButton(self.sessionOnlyRadio)
        group.addButton(self.keyFileRadio)
        self.keyFileWarning = note_label("keyFileWarning")
        self.keyFileWarning.setText(
            f"The file {esc(str(key_file))} is not encrypted: anyone who can "
            "read your files as you (other programs, backups, an administrator) can read the key.")
        self.hide()  # shown once a lookup says there is no keychain
        column = QVBoxLayout(self)
        column.setContentsMargins(8, 6, 8, 6)
        column.addWidget(self.noKeychainLabel)
        column.addWidget(self.sessionOnlyRadio)
        column.addWidget(self.keyFileRadio)
        under_radio = QHBoxLayout()
        under_radio.addSpacing(indent)
        under_radio.addWidget(self.keyFileWarning, 1)
        column.addLayout(under_radio)

    def show_keychain(self, state: KeyState) -> None:
        """Offer the choice when `state` says there is no keychain, and hide it when there is one."""
        keychain = state.keychain
        self.setVisible(not keychain.available)
        if not keychain.available:
            self.noKeychainLabel.setText(
                f"<b>No system keychain is available</b>: {esc(keychain.reason)} "
                "Where should a key you enter here be kept?")
            # Reopen on the choice that holds the key: a replacement goes to the same place.
            radio = self.keyFileRadio if state.fallback is KeyLocation.FILE else self.sessionOnlyRadio
            radio.setChecked(True)

    def choice(self) -> KeyLocation:
        return KeyLocation.FILE if self.keyFileRadio.isChecked() else KeyLocation.SESSION

"""TeamSettingsBox: the Settings dialog's "Team server" section — the reviewer's name, the team
server's address and its token.

Like the API key field, the token field is write-only: it never shows a stored token, only
says whether one is kept (and where). An address or token from the environment
(HITL_DESKTOP_SERVER, HITL_DESKTOP_SERVER_TOKEN) is used for this launch and never saved; the
notes say so. Saving goes through the settings service, off the UI thread.
"""

from __future__ import annotations

import asyncio
import html

import shiboken6
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLineEdit, QWidget

from hitl_desktop.core.errors import UserFacingError
from hitl_desktop.core.secret_store import KeyLocation
from hitl_desktop.core.settings_service import KeyState
from hitl_desktop.core.team.settings import (
    MAX_NAME_CHARS,
    SERVER_ENV,
    TOKEN_ENV,
    TeamSettings,
    check_server_url,
    display_url,
)
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.form_cells import note_label, stacked

_TOKEN_NOTES = {
    KeyLocation.ENVIRONMENT: f"Using the token from {TOKEN_ENV} for this launch; it is not saved.",
    KeyLocation.KEYCHAIN: "A token is stored in the system keychain. Type a new one to replace it.",
    KeyLocation.SESSION: "A token is kept for this session only. Type a new one to replace it.",
    KeyLocation.FILE: "A token is stored in the key file (readable only by you). Type a new one to replace it.",
    KeyLocation.NONE: "No token is stored. A server reachable from other computers needs one.",
}


class TeamSettingsBox(QGroupBox):
    notesChanged = Signal()  # a note's text changed: it may wrap to more lines

    def __init__(self, service: AsyncSettingsService, parent: QWidget | None = None) -> None:
        super().__init__("Team server", parent, objectName="teamSettingsBox")
        self._service = service
        saved = service.core.editable_team()
        in_use = service.core.team(with_token=False)
        self._lookup: asyncio.Task[None] | None = None

        self.reviewerEdit = QLineEdit(saved.reviewer, objectName="reviewerEdit", maxLength=MAX_NAME_CHARS,
                                      placeholderText="Recorded with each review decision")
        self.serverUrlEdit = QLineEdit(saved.server_url, objectName="serverUrlEdit", clearButtonEnabled=True,
                                       placeholderText="Empty: runs on this computer")
        self.serverUrlEdit.setToolTip("A team server's address, e.g. http://research.example.org:8000. "
                                      "Runs then start there and the team queue lists every run.")
        self.tokenEdit = QLineEdit(objectName="tokenEdit", echoMode=QLineEdit.EchoMode.Password,
                                   placeholderText="The token the server was started with")
        self.tokenEdit.setAccessibleName("Team server token")
        self.serverNote = note_label("serverNote")
        self.tokenNote = note_label("tokenNote")
        if in_use.server_url != saved.server_url:
            self.serverNote.setText(html.escape(f"{SERVER_ENV} is set: this launch uses "
                                                f"{display_url(in_use.server_url)}; it is not saved."))
        else:
            self.serverNote.setText("Leave empty to run research on this computer (the default).")
        self.tokenNote.setText("Checking for a stored token…")

        form = QFormLayout(self)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.addRow("&Your name:", self.reviewerEdit)
        form.addRow("Ser&ver:", stacked(self.serverUrlEdit, self.serverNote))
        form.addRow("Tok&en:", stacked(self.tokenEdit, self.tokenNote))
        self._look_up_token()

    def settings(self) -> TeamSettings:
        return TeamSettings(server_url=self.serverUrlEdit.text().strip(), reviewer=self.reviewerEdit.text().strip())

    def problem(self) -> UserFacingError | None:
        """What is wrong with the form (shown by the dialog), or None."""
        return check_server_url(self.serverUrlEdit.text())

    async def save(self, fallback: KeyLocation | None = None) -> None:
        """Write the name and address, and a typed token like an API key. Raises UserFacingError."""
        await self._service.save_team(self.settings(), self.tokenEdit.text(), fallback)
        if shiboken6.isValid(self):
            self.tokenEdit.clear()

    def save_now(self, fallback: KeyLocation | None = None) -> None:
        """The same, blocking (no event loop: nothing else to freeze)."""
        self._service.core.save_team(self.settings(), self.tokenEdit.text(), fallback)
        self.tokenEdit.clear()

    def clear_secret(self) -> None:
        self.tokenEdit.clear()
        if self._lookup is not None and not self._lookup.done():
            self._lookup.cancel()

    def _look_up_token(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            from hitl_desktop.core.team.settings import TOKEN_NAME

            self._show_token_state(self._service.core.key_state(TOKEN_NAME))
            return
        self._lookup = loop.create_task(self._token_state(), name="team-token-lookup")

    async def _token_state(self) -> None:
        try:
            state = await self._service.team_token_state()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 — a broken keyring must not leave "Checking…" up
            state = None
            text = f"Could not check the keychain ({type(exc).__name__})."
        if not shiboken6.isValid(self):
            return
        if state is None:
            self.tokenNote.setText(html.escape(text))
            self.notesChanged.emit()
        else:
            self._show_token_state(state)

    def _show_token_state(self, state: KeyState) -> None:
        self.tokenNote.setText(html.escape(_TOKEN_NOTES[state.location]))
        self.notesChanged.emit()
        if state.location is not KeyLocation.NONE:
            self.tokenEdit.setPlaceholderText("Paste a new token to replace the stored one")

"""Settings → Team server in the real dialog: the name and address saved, the token into the
keychain and never into a settings file, and an address from the environment shown but never
written back."""

from __future__ import annotations

from PySide6.QtCore import Qt
from memory_keyring import MemoryKeyring

from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE, SecretStore
from hitl_desktop.core.settings import settings_file
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.core.team.settings import SERVER_ENV, TOKEN_NAME, TeamSettings
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.settings_dialog import SettingsDialog

TOKEN = "dialog-team-token-8a7b6c5d"


def open_dialog(qtbot, service: SettingsService) -> SettingsDialog:  # type: ignore[no-untyped-def]
    dialog = SettingsDialog(AsyncSettingsService(service))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: "Checking" not in dialog.teamBox.tokenNote.text(), timeout=5_000)
    qtbot.keyClick(dialog, Qt.Key.Key_A, Qt.KeyboardModifier.AltModifier)  # the "Team server" tab
    assert dialog.pages.currentWidget().isAncestorOf(dialog.teamBox)
    return dialog


def test_the_team_section_saves_name_and_address_and_keeps_the_token_in_the_keychain(
        qtbot, qloop, isolated_keyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    service = SettingsService(SecretStore(env={}), env={})
    dialog = open_dialog(qtbot, service)
    team = dialog.teamBox
    assert team.tokenEdit.echoMode() == team.tokenEdit.EchoMode.Password
    assert team.tokenNote.text().startswith("No token is stored")
    qtbot.keyClicks(team.reviewerEdit, "Ada Lovelace")
    qtbot.keyClicks(team.serverUrlEdit, "http://team.example.org:8000")
    qtbot.keyClicks(team.tokenEdit, TOKEN)
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)

    assert service.team() == TeamSettings("http://team.example.org:8000", "Ada Lovelace", TOKEN)
    assert isolated_keyring.passwords[(KEYCHAIN_SERVICE, TOKEN_NAME)] == TOKEN
    written = "".join(p.read_text(encoding="utf-8") for p in settings_file().parent.glob("*.json"))
    assert "Ada Lovelace" in written and TOKEN not in written

    again = open_dialog(qtbot, service)
    assert (again.teamBox.reviewerEdit.text(), again.teamBox.serverUrlEdit.text(), again.teamBox.tokenEdit.text()) \
        == ("Ada Lovelace", "http://team.example.org:8000", "")
    assert again.teamBox.tokenNote.text().startswith("A token is stored in the system keychain")


def test_a_bad_address_is_refused_and_nothing_is_saved(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    service = SettingsService(SecretStore(env={}), env={})
    dialog = open_dialog(qtbot, service)
    qtbot.keyClicks(dialog.teamBox.serverUrlEdit, "team.example.org")
    qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "not a web address" in dialog.result_text()
    assert service.editable_team() == TeamSettings()


def test_an_address_from_the_environment_is_shown_but_not_saved(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    env = {SERVER_ENV: "http://10.1.2.3:8000"}
    service = SettingsService(SecretStore(env=env), env=env)
    service.save_team(TeamSettings(server_url="http://saved.example.org"))
    dialog = open_dialog(qtbot, service)
    assert dialog.teamBox.serverUrlEdit.text() == "http://saved.example.org"
    assert f"{SERVER_ENV} is set: this launch uses http://10.1.2.3:8000" in dialog.teamBox.serverNote.text()
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert "10.1.2.3" not in "".join(p.read_text(encoding="utf-8") for p in settings_file().parent.glob("*.json"))
    assert service.team(with_token=False).server_url == "http://10.1.2.3:8000"

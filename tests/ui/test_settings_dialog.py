"""The settings dialog, driven like a user would: provider, model, endpoint, key, Test Connection."""

from __future__ import annotations

import asyncio
import stat
import threading
import time
from pathlib import Path

import keyring
import pytest
from fake_openai import Error, FakeOpenAI, Stream
from keyring.backends import fail
from keyring.errors import KeyringLocked
from memory_keyring import MemoryKeyring
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE, KeyLocation, SecretStore
from hitl_desktop.core.settings import DASHSCOPE, OPENAI_COMPATIBLE, ProviderSettings, load_settings, settings_file
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.settings_dialog import SettingsDialog

KEY = "sk-dialog-test-key-112233445566"


@pytest.fixture
def service() -> SettingsService:
    """The settings service every dialog of a test shares, as the main window's dialogs do."""
    return SettingsService(SecretStore())


@pytest.fixture
def make_dialog(qtbot, qloop, service: SettingsService):  # type: ignore[no-untyped-def]
    def make(settings: ProviderSettings | None = None) -> SettingsDialog:
        bridge = WorkflowBridge(settings=service)
        dialog = SettingsDialog(AsyncSettingsService(service), tester=bridge.test_connection,
                                settings=settings)
        bridge.setParent(dialog)
        qtbot.addWidget(dialog)
        dialog.open()
        qtbot.waitExposed(dialog)
        qtbot.waitUntil(dialog.key_state_known, timeout=5_000)  # looked up off the UI thread
        return dialog

    return make


def choose_provider(dialog: SettingsDialog, provider: str) -> None:
    dialog.providerCombo.setCurrentIndex(dialog.providerCombo.findData(provider))


def test_dashscope_offers_qwen_models_and_any_typed_name(make_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog()
    assert dialog.objectName() == "settingsDialog"
    models = [dialog.modelCombo.itemText(i) for i in range(dialog.modelCombo.count())]
    assert models == ["qwen-turbo", "qwen-plus", "qwen-max"]
    assert dialog.modelCombo.currentText() == "qwen-plus"
    dialog.modelCombo.setCurrentText("qwen3-235b-a22b")
    assert dialog.settings().model == "qwen3-235b-a22b"
    assert not dialog.presetButton.isVisible()


def test_saving_puts_the_key_in_the_keychain_and_never_in_the_settings_file(
        qtbot, make_dialog, service: SettingsService, isolated_keyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog()
    assert dialog.apiKeyEdit.echoMode() == dialog.apiKeyEdit.EchoMode.Password
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    dialog.temperatureSpin.setValue(0.8)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert isolated_keyring.passwords == {(KEYCHAIN_SERVICE, DASHSCOPE): KEY}
    text = settings_file().read_text()
    assert KEY not in text and '"temperature": 0.8' in text
    assert service.current().api_key == KEY

    # Reopened, the field is empty (write-only) and only says where the key is.
    again = make_dialog()
    assert again.apiKeyEdit.text() == ""
    assert "system keychain" in again.keyStatusLabel.text()
    assert again.forgetKeyButton.isEnabled()
    qtbot.mouseClick(again.forgetKeyButton, Qt.MouseButton.LeftButton)
    confirm = again.findChild(QMessageBox, "confirmForgetKeyBox")  # it cannot be undone: asks first
    assert confirm is not None and confirm.defaultButton() is confirm.button(QMessageBox.StandardButton.Cancel)
    confirm.button(QMessageBox.StandardButton.Cancel).click()
    qtbot.waitUntil(lambda: again.findChild(QMessageBox, "confirmForgetKeyBox") is None, timeout=2_000)
    assert isolated_keyring.passwords == {(KEYCHAIN_SERVICE, DASHSCOPE): KEY}
    qtbot.mouseClick(again.forgetKeyButton, Qt.MouseButton.LeftButton)
    confirm = again.findChild(QMessageBox, "confirmForgetKeyBox")
    qtbot.mouseClick(next(b for b in confirm.buttons() if b.text() == "Remove Key"), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(again.key_state_known, timeout=5_000)  # removed off the UI thread
    assert isolated_keyring.passwords == {}
    assert "No key is stored" in again.keyStatusLabel.text()


def test_environment_key_is_reported_not_shown(qtbot, make_dialog, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    dialog = make_dialog()
    assert "DASHSCOPE_API_KEY" in dialog.keyStatusLabel.text()
    assert dialog.apiKeyEdit.text() == "" and KEY not in dialog.keyStatusLabel.text()
    # That note wraps to two lines: the dialog grows to fit it instead of clipping the form.
    layout = dialog.layout()
    qtbot.waitUntil(lambda: dialog.height() >= layout.heightForWidth(dialog.width()), timeout=2_000)
    assert dialog.apiKeyEdit.accessibleName() == "API key" and dialog.baseUrlEdit.accessibleName() == "Base URL"


def test_without_a_keychain_the_dialog_says_so_and_offers_session_or_private_file(
        qtbot, make_dialog, service: SettingsService, isolated_home: Path) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())
    dialog = make_dialog()
    assert dialog.keyStorageBox.isVisible()
    assert "No system keychain is available" in dialog.noKeychainLabel.text()
    assert dialog.sessionOnlyRadio.isChecked()  # the safer choice is the default
    assert dialog.keyFileWarning.isVisible()  # the file's risk is read before choosing it

    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert service.secrets.lookup(DASHSCOPE) == (KEY, KeyLocation.SESSION)
    assert not any(KEY.encode() in p.read_bytes() for p in isolated_home.rglob("*") if p.is_file())

    dialog = make_dialog()
    qtbot.mouseClick(dialog.keyFileRadio, Qt.MouseButton.LeftButton)
    assert dialog.keyFileWarning.isVisible() and "not encrypted" in dialog.keyFileWarning.text()
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    key_file = service.key_file
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert service.secrets.lookup(DASHSCOPE) == (KEY, KeyLocation.FILE)
    assert KEY not in settings_file().read_text()


def test_openai_compatible_needs_a_valid_address_before_saving(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog()
    choose_provider(dialog, OPENAI_COMPATIBLE)
    assert dialog.presetButton.isVisible()
    assert dialog.modelCombo.currentText() == "qwen2.5:7b"
    dialog.baseUrlEdit.setText("localhost:11434")
    qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and "not a web address" in dialog.result_text()
    assert not settings_file().exists()

    preset = next(a for a in dialog.presetButton.menu().actions() if a.text().startswith("LM Studio"))
    preset.trigger()
    assert dialog.baseUrlEdit.text() == "http://localhost:1234/v1"
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    saved = load_settings()
    assert (saved.provider, saved.base_url) == (OPENAI_COMPATIBLE, "http://localhost:1234/v1")


def test_switching_providers_keeps_what_was_typed_for_each(make_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog()
    dialog.modelCombo.setCurrentText("qwen-max")
    choose_provider(dialog, OPENAI_COMPATIBLE)
    dialog.modelCombo.setCurrentText("llama3.1:8b")
    dialog.baseUrlEdit.setText("http://localhost:8000/v1")
    choose_provider(dialog, DASHSCOPE)
    assert dialog.modelCombo.currentText() == "qwen-max"
    choose_provider(dialog, OPENAI_COMPATIBLE)
    assert (dialog.modelCombo.currentText(), dialog.baseUrlEdit.text()) == ("llama3.1:8b",
                                                                            "http://localhost:8000/v1")


def test_test_connection_succeeds_without_blocking_the_ui(qtbot, make_dialog, fake_openai: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    fake_openai.replies = [Stream(["OK"], delay_s=0.4)]
    dialog = make_dialog()
    choose_provider(dialog, OPENAI_COMPATIBLE)
    dialog.baseUrlEdit.setText(fake_openai.base_url)
    dialog.modelCombo.setCurrentText("tiny-model")
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    # While the server thinks, the dialog is responsive: the button says so and typing works.
    assert dialog.testButton.text() == "Testing…" and not dialog.testButton.isEnabled()
    qtbot.keyClicks(dialog.modelCombo.lineEdit(), "")
    dialog.temperatureSpin.setValue(0.5)
    qtbot.waitUntil(lambda: "Connected" in dialog.result_text(), timeout=10_000)
    assert "tiny-model answered in" in dialog.result_text()
    assert dialog.testButton.isEnabled()
    assert fake_openai.requests[0].body["model"] == "tiny-model"
    assert not settings_file().exists()  # testing saves nothing


@pytest.mark.parametrize(("reply", "words"), [
    (Error(401, f"Incorrect API key provided: {KEY}", code="invalid_api_key"), "refused the API key"),
    (Error(404, "The model `tiny-model` does not exist.", code="model_not_found"), "no model named 'tiny-model'"),
])
def test_test_connection_shows_the_exact_reason(qtbot, make_dialog, fake_openai: FakeOpenAI,  # type: ignore[no-untyped-def]
                                                reply: Error, words: str) -> None:
    fake_openai.replies = [reply]
    dialog = make_dialog()
    choose_provider(dialog, OPENAI_COMPATIBLE)
    dialog.baseUrlEdit.setText(fake_openai.base_url)
    dialog.modelCombo.setCurrentText("tiny-model")
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)  # a typed, unsaved key is used for the test
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: words in dialog.result_text(), timeout=10_000)
    assert fake_openai.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert KEY not in dialog.result_text()


def test_test_connection_to_a_stopped_server_names_it(qtbot, make_dialog) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog()
    choose_provider(dialog, OPENAI_COMPATIBLE)
    dialog.baseUrlEdit.setText("http://127.0.0.1:9/v1")
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Cannot reach" in dialog.result_text(), timeout=10_000)
    assert "127.0.0.1:9" in dialog.result_text()


def test_closing_mid_test_cancels_it(qtbot, make_dialog, fake_openai: FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    fake_openai.replies = [Stream(["OK"], delay_s=5)]
    dialog = make_dialog()
    choose_provider(dialog, OPENAI_COMPATIBLE)
    dialog.baseUrlEdit.setText(fake_openai.base_url)
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(fake_openai.requests) == 1, timeout=5_000)
    task = dialog._test_task
    dialog.reject()
    qtbot.waitUntil(lambda: task is not None and task.done(), timeout=5_000)
    assert task.cancelled()


def test_test_connection_on_dashscope_uses_the_typed_key(qtbot, make_dialog, fake_dashscope) -> None:  # type: ignore[no-untyped-def]
    import fake_dashscope as ds

    fake_dashscope.replies = [ds.Stream(["OK"]), ds.Error(401, "InvalidApiKey", "Invalid API-key provided.")]
    dialog = make_dialog()
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Connected: qwen-plus" in dialog.result_text(), timeout=10_000)
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "refused the API key" in dialog.result_text(), timeout=10_000)
    assert "InvalidApiKey" in dialog.result_text()
    assert [r.headers["Authorization"] for r in fake_dashscope.requests] == [
        "Bearer sk-test-fake-key-0123456789", f"Bearer {KEY}"]
    assert fake_dashscope.requests[0].body["parameters"]["max_tokens"] == 32


class SlowKeyring(MemoryKeyring):
    """A keychain that takes its time, like a locked one waiting on its unlock prompt."""

    def __init__(self, delay_s: float = 0.5) -> None:
        super().__init__()
        self.delay_s = delay_s
        self.reads = 0

    def get_password(self, service: str, username: str) -> str | None:
        from hitl_desktop.core.team.settings import TOKEN_NAME

        self.reads += username != TOKEN_NAME  # the provider's key (the team token is asked for too)
        time.sleep(self.delay_s)
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(self.delay_s)
        super().set_password(service, username, password)


class LockedKeyring(SlowKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        time.sleep(self.delay_s)
        raise KeyringLocked("the collection is locked")


def ticking_timer() -> tuple[list[int], QTimer]:
    """A 20 ms timer; it only fires while the UI thread is free. The caller stops it."""
    ticks: list[int] = []
    timer = QTimer(interval=20)
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start()
    return ticks, timer


def open_slow(qtbot, store_key: str | None = None,  # type: ignore[no-untyped-def]
              owned_by_test: bool = False) -> tuple[SettingsDialog, SlowKeyring]:
    backend = SlowKeyring()
    if store_key:
        backend.passwords[(KEYCHAIN_SERVICE, DASHSCOPE)] = store_key
    keyring.set_keyring(backend)
    dialog = SettingsDialog(AsyncSettingsService(SettingsService(SecretStore())))
    if not owned_by_test:
        qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    return dialog, backend


def test_a_slow_keychain_lookup_never_freezes_the_dialog(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    ticks, timer = ticking_timer()
    dialog, backend = open_slow(qtbot, store_key=KEY)
    assert dialog.keyStatusLabel.text() == "Checking the keychain…"
    assert not dialog.forgetKeyButton.isEnabled() and not dialog.key_state_known()
    qtbot.keyClicks(dialog.modelCombo.lineEdit(), "-typed")  # typing works meanwhile
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    timer.stop()
    assert backend.reads == 1
    assert len(ticks) >= 10, f"the UI thread was blocked: the 20 ms timer fired {len(ticks)} times in 0.5 s"
    assert "system keychain" in dialog.keyStatusLabel.text() and dialog.forgetKeyButton.isEnabled()
    assert dialog.settings().model == "qwen-plus-typed"


def test_switching_providers_mid_lookup_shows_the_newest_answer(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    dialog, _backend = open_slow(qtbot, store_key=KEY)
    choose_provider(dialog, OPENAI_COMPATIBLE)
    assert dialog.keyStatusLabel.text() == "Checking the keychain…"
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    assert "No key is stored. Local servers usually need none." in dialog.keyStatusLabel.text()
    qtbot.wait(600)  # the first (DashScope) lookup's late answer must not overwrite it
    assert "No key is stored" in dialog.keyStatusLabel.text()


def test_closing_mid_lookup_leaves_no_pending_task(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    dialog, backend = open_slow(qtbot, store_key=KEY, owned_by_test=True)
    task = dialog._key_task
    qtbot.waitUntil(lambda: backend.reads == 1, timeout=5_000)  # the keychain is being asked
    assert task is not None and not task.done()
    dialog.reject()
    qtbot.waitUntil(task.done, timeout=5_000)
    assert task.cancelled()
    dialog.deleteLater()  # closed and gone, as the main window does with its dialog
    qtbot.wait(800)  # the worker thread answers after the dialog is gone; the answer is dropped
    assert backend.reads == 1
    assert not [t for t in asyncio.all_tasks(qloop) if not t.done()]
    # (no_leaked_tasks checks that no "exception was never retrieved" was logged)


def test_save_waits_for_the_keychain_before_closing(qtbot, qloop, isolated_keyring) -> None:  # type: ignore[no-untyped-def]
    ticks, timer = ticking_timer()
    dialog, backend = open_slow(qtbot)
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    saved = []
    dialog.saved.connect(saved.append)
    ticks.clear()
    qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.is_saving() and not saved
    assert "Saving" in dialog.result_text() and not dialog.saveButton.isEnabled()
    dialog.reject()  # Escape mid-save: the dialog stays until the key is written
    assert dialog.isVisible()
    qtbot.waitUntil(lambda: bool(saved), timeout=5_000)
    timer.stop()
    assert len(ticks) >= 10
    assert backend.passwords == {(KEYCHAIN_SERVICE, DASHSCOPE): KEY}
    assert not dialog.isVisible() and settings_file().exists()


def save_typed_key(qtbot, backend: MemoryKeyring,  # type: ignore[no-untyped-def]
                   service: SettingsService | None = None) -> tuple[SettingsDialog, list[ProviderSettings]]:
    """Open Settings on `backend`, type KEY and press Save; returns the dialog and what it saved."""
    keyring.set_keyring(backend)
    dialog = SettingsDialog(AsyncSettingsService(service or SettingsService(SecretStore())))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    saved: list[ProviderSettings] = []
    dialog.saved.connect(saved.append)
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    return dialog, saved


def test_a_refused_keychain_write_keeps_the_dialog_open_with_the_reason(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    dialog, saved = save_typed_key(qtbot, LockedKeyring(delay_s=0.2))
    qtbot.waitUntil(lambda: not dialog.is_saving(), timeout=5_000)
    assert dialog.isVisible() and not saved
    assert "did not accept the key" in dialog.result_text() and "Unlock the keychain" in dialog.result_text()
    assert KEY not in dialog.result_text()
    assert dialog.saveButton.isEnabled() and dialog.apiKeyEdit.text() == KEY  # nothing typed is lost
    assert not settings_file().exists()
    dialog.reject()
    assert not dialog.isVisible()


def test_a_dialog_deleted_mid_lookup_drops_the_late_answer(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    import shiboken6

    dialog, backend = open_slow(qtbot, store_key=KEY, owned_by_test=True)
    qtbot.waitUntil(lambda: backend.reads == 1, timeout=5_000)
    task = dialog._key_task
    shiboken6.delete(dialog)  # gone without done(): e.g. its parent window was destroyed
    qtbot.waitUntil(task.done, timeout=5_000)  # the answer arrives, finds no dialog, and ends quietly
    assert not task.cancelled() and task.exception() is None


class StuckKeyring(SlowKeyring):
    """A keychain whose write never answers until the test lets it (a prompt nobody sees)."""

    def __init__(self) -> None:
        super().__init__(delay_s=0.0)
        self.answer = threading.Event()

    def set_password(self, service: str, username: str, password: str) -> None:
        self.answer.wait(timeout=30)
        super().set_password(service, username, password)


def test_a_keychain_that_never_answers_lets_the_user_keep_the_key_for_the_session(  # type: ignore[no-untyped-def]
        qtbot, qloop) -> None:
    service = SettingsService(SecretStore(), keychain_patience_s=0.3)
    backend = StuckKeyring()
    dialog, saved = save_typed_key(qtbot, backend, service)
    assert dialog.is_saving() and not dialog.keepForSessionButton.isVisible()
    qtbot.waitUntil(dialog.keepForSessionButton.isVisible, timeout=5_000)
    assert "keychain is not answering" in dialog.result_text() and dialog.keepForSessionButton.hasFocus()

    qtbot.keyClick(dialog.keepForSessionButton, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: bool(saved), timeout=5_000)
    assert not dialog.isVisible() and not dialog.is_saving()
    assert settings_file().exists() and KEY not in settings_file().read_text(encoding="utf-8")
    assert service.secrets.lookup(DASHSCOPE) == (KEY, KeyLocation.SESSION)
    assert service.current().api_key == KEY  # what a run would use
    backend.answer.set()  # the keychain finally answers: it stores the key, the session copy stays usable
    qtbot.waitUntil(lambda: backend.passwords.get((KEYCHAIN_SERVICE, DASHSCOPE)) == KEY, timeout=5_000)
    assert service.secrets.lookup(DASHSCOPE)[0] == KEY


def test_web_search_is_a_dashscope_switch_that_is_saved_and_explained_elsewhere(
        qtbot, make_dialog, service: SettingsService) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.core.settings import OFFLINE

    dialog = make_dialog()
    option = dialog.webSearchOption
    assert option.checkBox.isEnabled() and not option.checkBox.isChecked()  # off until turned on
    assert "web" in option.note.text()
    option.checkBox.setFocus()
    qtbot.keyClick(option.checkBox, Qt.Key.Key_Space)
    assert dialog.settings().web_search
    for provider in (OPENAI_COMPATIBLE, OFFLINE):
        choose_provider(dialog, provider)
        assert not option.checkBox.isEnabled()  # greyed, but still on for when DashScope returns
        assert "DashScope" in option.note.text() or "only your documents" in option.note.text()
    choose_provider(dialog, DASHSCOPE)
    assert option.checkBox.isEnabled()
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert service.current().web_search is True
    assert make_dialog().webSearchOption.is_on()  # reopened: as saved

"""The settings dialog, driven like a user would: provider, model, endpoint, key, Test Connection."""

from __future__ import annotations

import stat
from pathlib import Path

import keyring
import pytest
from fake_openai import Error, FakeOpenAI, Stream
from keyring.backends import fail
from memory_keyring import MemoryKeyring
from PySide6.QtCore import Qt

from hitl_desktop.bridge import WorkflowBridge
from hitl_desktop.secret_store import KEYCHAIN_SERVICE, KeyLocation, default_store
from hitl_desktop.settings import DASHSCOPE, OPENAI_COMPATIBLE, ProviderSettings, load_settings, settings_file
from hitl_desktop.ui.settings_dialog import SettingsDialog

KEY = "sk-dialog-test-key-112233445566"


@pytest.fixture
def make_dialog(qtbot, qloop):  # type: ignore[no-untyped-def]
    def make(settings: ProviderSettings | None = None) -> SettingsDialog:
        bridge = WorkflowBridge()
        dialog = SettingsDialog(settings or load_settings(with_key=False), tester=bridge.test_connection)
        bridge.setParent(dialog)
        qtbot.addWidget(dialog)
        dialog.open()
        qtbot.waitExposed(dialog)
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
        qtbot, make_dialog, isolated_keyring: MemoryKeyring) -> None:  # type: ignore[no-untyped-def]
    dialog = make_dialog()
    assert dialog.apiKeyEdit.echoMode() == dialog.apiKeyEdit.EchoMode.Password
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    dialog.temperatureSpin.setValue(0.8)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert isolated_keyring.passwords == {(KEYCHAIN_SERVICE, DASHSCOPE): KEY}
    text = settings_file().read_text()
    assert KEY not in text and '"temperature": 0.8' in text
    assert load_settings().api_key == KEY

    # Reopened, the field is empty (write-only) and only says where the key is.
    again = make_dialog()
    assert again.apiKeyEdit.text() == ""
    assert "system keychain" in again.keyStatusLabel.text()
    assert again.forgetKeyButton.isEnabled()
    qtbot.mouseClick(again.forgetKeyButton, Qt.MouseButton.LeftButton)
    assert isolated_keyring.passwords == {}
    assert "No key is stored" in again.keyStatusLabel.text()


def test_environment_key_is_reported_not_shown(qtbot, make_dialog, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("DASHSCOPE_API_KEY", KEY)
    dialog = make_dialog()
    assert "DASHSCOPE_API_KEY" in dialog.keyStatusLabel.text()
    assert dialog.apiKeyEdit.text() == "" and KEY not in dialog.keyStatusLabel.text()


def test_without_a_keychain_the_dialog_says_so_and_offers_session_or_private_file(
        qtbot, make_dialog, isolated_home: Path) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())
    dialog = make_dialog()
    assert dialog.keyStorageBox.isVisible()
    assert "No system keychain is available" in dialog.noKeychainLabel.text()
    assert dialog.sessionOnlyRadio.isChecked()  # the safer choice is the default
    assert not dialog.keyFileWarning.isVisible()

    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    assert default_store().lookup(DASHSCOPE) == (KEY, KeyLocation.SESSION)
    assert not any(KEY.encode() in p.read_bytes() for p in isolated_home.rglob("*") if p.is_file())

    dialog = make_dialog()
    qtbot.mouseClick(dialog.keyFileRadio, Qt.MouseButton.LeftButton)
    assert dialog.keyFileWarning.isVisible() and "not encrypted" in dialog.keyFileWarning.text()
    qtbot.keyClicks(dialog.apiKeyEdit, KEY)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    key_file = default_store().file_path
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert default_store().lookup(DASHSCOPE) == (KEY, KeyLocation.FILE)
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

"""Settings in the main window: first run without a key, switching providers from the dialog and
running the whole loop on each (against both fake servers), errors that open Settings, no key leaks."""

from __future__ import annotations

import json
import logging
import stat
from pathlib import Path

import fake_dashscope as ds
import fake_openai as oa
import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence

from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE
from hitl_desktop.core.settings import DASHSCOPE, OPENAI_COMPATIBLE, ProviderSettings, save_settings, settings_file
from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog
from hitl_desktop.ui.widgets.settings_dialog import SettingsDialog

RESEARCH = "## Key findings\n\n1. La Rance makes 240 MW.\n"
REPORT = ["# Tidal report\n\n", "## Summary\n\n", "Streaming ", "works."]


def open_window(qtbot) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def open_settings(qtbot, window: MainWindow) -> SettingsDialog:  # type: ignore[no-untyped-def]
    window.settingsAction.trigger()
    qtbot.waitUntil(lambda: _visible_settings(window) is not None, timeout=5_000)
    return _visible_settings(window)


def _visible_settings(window: MainWindow) -> SettingsDialog | None:
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    return dialog if dialog is not None and dialog.isVisible() else None


def save(qtbot, dialog: SettingsDialog) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)


def run_whole_loop(qtbot, window: MainWindow, topic: str = "tidal power") -> None:  # type: ignore[no-untyped-def]
    window.topicInput.setPlainText(topic)
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _open_review(window) is not None, timeout=20_000)
    dialog = _open_review(window)
    assert "La Rance makes 240 MW." in dialog.researchView.toPlainText()
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=20_000)
    assert "Streaming works." in window.reportView.toPlainText()


def _open_review(window: MainWindow) -> ReviewDialog | None:
    dialog = window.findChild(ReviewDialog, "reviewDialog")
    return dialog if dialog is not None and dialog.isVisible() else None


def progress_lines(window: MainWindow) -> list[str]:
    return [window.progressList.item(i).text() for i in range(window.progressList.count())]


def test_settings_action_is_in_the_file_menu_with_the_preferences_shortcut(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot)
    file_menu = window.menuBar().actions()[0].menu()
    assert window.settingsAction in file_menu.actions()
    expected = QKeySequence.keyBindings(QKeySequence.StandardKey.Preferences) or [QKeySequence("Ctrl+,")]
    assert window.settingsAction.shortcuts() == expected
    dialog = open_settings(qtbot, window)
    dialog.reject()


def test_first_run_without_a_key_says_what_it_needs_and_opens_settings(
        qtbot, qloop, isolated_keyring) -> None:  # type: ignore[no-untyped-def]
    window = open_window(qtbot)
    qtbot.waitUntil(window.setupBanner.isVisible, timeout=5_000)  # the key is looked up off the UI thread
    sentence = window.setupBanner.textLabel.text()
    assert "runs offline on your documents" in sentence  # the app works; the banner says how
    assert "DashScope API key" in sentence and "DASHSCOPE_API_KEY" in sentence
    assert window.providerLabel.text() == "Offline · extractive"

    qtbot.mouseClick(window.setupBanner.settingsButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _visible_settings(window) is not None, timeout=5_000)
    dialog = _visible_settings(window)
    qtbot.keyClicks(dialog.apiKeyEdit, "sk-first-run-key-999888777")
    dialog.modelCombo.setCurrentText("qwen-max")
    save(qtbot, dialog)
    qtbot.waitUntil(lambda: not window.setupBanner.isVisible(), timeout=5_000)
    assert window.providerLabel.text() == "DashScope · qwen-max"
    assert isolated_keyring.passwords[(KEYCHAIN_SERVICE, DASHSCOPE)] == "sk-first-run-key-999888777"


def test_switch_between_dashscope_and_a_local_server_and_run_the_loop_on_each(
        qtbot, qloop, fake_dashscope: ds.FakeDashScope, fake_openai: oa.FakeOpenAI,
        tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    fake_dashscope.replies = [ds.Stream([RESEARCH]), ds.Stream(REPORT)]
    fake_openai.replies = [oa.Stream([RESEARCH]), oa.Stream(REPORT)]
    window = open_window(qtbot)
    qtbot.wait(100)  # let the background key lookup report
    assert not window.setupBanner.isVisible()  # DASHSCOPE_API_KEY is set by the fixture

    run_whole_loop(qtbot, window)
    assert window.report.model == "DashScope · qwen-plus"
    assert len(fake_dashscope.requests) == 2 and not fake_openai.requests

    dialog = open_settings(qtbot, window)
    dialog.providerCombo.setCurrentIndex(dialog.providerCombo.findData(OPENAI_COMPATIBLE))
    dialog.baseUrlEdit.setText(fake_openai.base_url)
    dialog.modelCombo.setCurrentText("llama3.1:8b")
    save(qtbot, dialog)
    assert window.providerLabel.text() == "OpenAI-compatible · llama3.1:8b"

    window.save_report(tmp_path / "dashscope-report.md")  # so the next run starts without asking
    run_whole_loop(qtbot, window)
    assert window.report.model == "OpenAI-compatible · llama3.1:8b"
    assert len(fake_openai.requests) == 2 and len(fake_dashscope.requests) == 2
    assert fake_openai.requests[1].body["model"] == "llama3.1:8b"
    assert "La Rance makes 240 MW." in fake_openai.requests[1].prompt_text

    # And back: DashScope's model was remembered.
    dialog = open_settings(qtbot, window)
    dialog.providerCombo.setCurrentIndex(dialog.providerCombo.findData(DASHSCOPE))
    assert dialog.modelCombo.currentText() == "qwen-plus"
    save(qtbot, dialog)
    assert window.providerLabel.text() == "DashScope · qwen-plus"


def test_a_refused_key_offers_settings_not_run_again(qtbot, qloop, fake_openai: oa.FakeOpenAI) -> None:  # type: ignore[no-untyped-def]
    save_settings(ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", base_url=fake_openai.base_url))
    fake_openai.default = oa.Error(401, "Incorrect API key provided.", code="invalid_api_key")
    window = open_window(qtbot)
    window.topicInput.setPlainText("tidal power")
    qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.messageBar.isVisible, timeout=20_000)
    assert "needs an API key" in window.messageBar.message()
    assert window.messageBar.action("Run Again") is None
    button = window.messageBar.action("Open Settings…")
    assert button is not None
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: _visible_settings(window) is not None, timeout=5_000)
    _visible_settings(window).reject()
    assert len(fake_openai.requests) == 1  # a refused key is not retried automatically


def test_a_fake_key_never_leaks_into_logs_settings_reports_or_error_texts(
        qtbot, qloop, fake_openai: oa.FakeOpenAI, tmp_path: Path, isolated_home: Path) -> None:  # type: ignore[no-untyped-def]
    key = "sk-LEAKCHECK-0123456789abcdef"
    from hitl_desktop.core.logging_setup import configure_logging

    root = logging.getLogger()
    before = list(root.handlers)
    log_path = configure_logging(logging.DEBUG)  # the chattiest the app ever logs
    try:
        window = open_window(qtbot)
        dialog = open_settings(qtbot, window)
        dialog.providerCombo.setCurrentIndex(dialog.providerCombo.findData(OPENAI_COMPATIBLE))
        dialog.baseUrlEdit.setText(fake_openai.base_url)
        qtbot.keyClicks(dialog.apiKeyEdit, key)
        save(qtbot, dialog)

        # A server that echoes the key in its error, then a working run whose report quotes it.
        fake_openai.replies = [oa.Error(401, f"Incorrect API key provided: {key}.", code="invalid_api_key"),
                               oa.Stream([RESEARCH]), oa.Stream(["# Report\n\n", f"The key was {key}."])]
        window.topicInput.setPlainText("tidal power")
        qtbot.mouseClick(window.runButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(window.messageBar.isVisible, timeout=20_000)
        error_texts = [window.messageBar.message(), *progress_lines(window), window.statusBar().currentMessage()]
        assert "refused the API key" in window.messageBar.message()
        qtbot.mouseClick(window.messageBar.action("Retry"), Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: _open_review(window) is not None, timeout=20_000)
        qtbot.mouseClick(_open_review(window).approveButton, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.report is not None, timeout=20_000)
        assert fake_openai.requests[-1].headers["Authorization"] == f"Bearer {key}"  # it was used
        saved = window.save_report(tmp_path / "report.md")
        error_texts += progress_lines(window)
    finally:
        for handler in root.handlers[:]:
            if handler not in before:
                handler.close()
                root.removeHandler(handler)

    assert log_path.stat().st_size > 0
    places = {"log file": log_path.read_text(encoding="utf-8"),
              "settings file": settings_file().read_text(encoding="utf-8"),
              "saved report": saved.read_text(encoding="utf-8"),
              "error texts": "\n".join(error_texts)}
    for name, text in places.items():
        assert key not in text, f"the key leaked into the {name}"
    assert "[redacted]" in places["saved report"]
    # Nothing else on disk holds it either (the keychain is the in-memory test backend).
    assert not any(key.encode() in p.read_bytes() for p in isolated_home.rglob("*") if p.is_file())


# ----- no system keychain: the path every Linux without Secret Service or KWallet takes --------

SESSION_KEY = "sk-session-only-key-5566778899"


def no_keychain_and_a_server(provider: str, request, monkeypatch):  # type: ignore[no-untyped-def]
    """No keychain, and the fake server for `provider` with no key from the environment.
    Returns the fake and how to read the keys its requests carried."""
    keyring.set_keyring(fail.Keyring())
    if provider == DASHSCOPE:
        fake = request.getfixturevalue("fake_dashscope")
        monkeypatch.delenv("DASHSCOPE_API_KEY")  # the key comes from Settings, nowhere else
        fake.replies = [ds.Stream(["OK"]), ds.Stream([RESEARCH]), ds.Stream(REPORT)]
    else:
        fake = request.getfixturevalue("fake_openai")
        fake.replies = [oa.Stream(["OK"]), oa.Stream([RESEARCH]), oa.Stream(REPORT)]
    return fake, lambda: [r.headers.get("Authorization") for r in fake.requests]


def choose(dialog: SettingsDialog, provider: str, fake) -> None:  # type: ignore[no-untyped-def]
    dialog.providerCombo.setCurrentIndex(dialog.providerCombo.findData(provider))
    if provider == OPENAI_COMPATIBLE:
        dialog.baseUrlEdit.setText(fake.base_url)


@pytest.mark.parametrize("provider", [OPENAI_COMPATIBLE, DASHSCOPE])
def test_without_a_keychain_a_key_kept_for_the_session_is_what_runs_use(
        qtbot, qloop, request, monkeypatch, provider: str) -> None:  # type: ignore[no-untyped-def]
    fake, keys_sent = no_keychain_and_a_server(provider, request, monkeypatch)
    window = open_window(qtbot)
    if provider == DASHSCOPE:
        qtbot.waitUntil(window.setupBanner.isVisible, timeout=5_000)
        assert "enter a DashScope API key" in window.setupBanner.textLabel.text()

    dialog = open_settings(qtbot, window)
    choose(dialog, provider, fake)
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    assert dialog.keyStorageBox.isVisible() and dialog.sessionOnlyRadio.isChecked()  # the default
    qtbot.keyClicks(dialog.apiKeyEdit, SESSION_KEY)
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Connected" in dialog.result_text(), timeout=10_000)
    save(qtbot, dialog)
    assert window.statusBar().currentMessage() == "Settings saved"
    qtbot.waitUntil(lambda: not window.setupBanner.isVisible(), timeout=5_000)

    run_whole_loop(qtbot, window)
    assert keys_sent() == [f"Bearer {SESSION_KEY}"] * 3  # the test, the research round, the report
    assert not window.setupBanner.isVisible()

    # Reopened, Settings says where the key is and offers the choice it was kept with.
    dialog = open_settings(qtbot, window)
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    assert "kept for this session only" in dialog.keyStatusLabel.text()
    assert dialog.sessionOnlyRadio.isChecked()
    dialog.reject()


@pytest.mark.parametrize("provider", [OPENAI_COMPATIBLE, DASHSCOPE])
def test_without_a_keychain_a_key_kept_in_the_file_reopens_as_the_file_choice(
        qtbot, qloop, request, monkeypatch, provider: str) -> None:  # type: ignore[no-untyped-def]
    fake, keys_sent = no_keychain_and_a_server(provider, request, monkeypatch)
    fake.replies = fake.replies[1:]  # no Test Connection here
    window = open_window(qtbot)
    dialog = open_settings(qtbot, window)
    choose(dialog, provider, fake)
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    qtbot.mouseClick(dialog.keyFileRadio, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(dialog.apiKeyEdit, "sk-first-file-key-0000111122")
    save(qtbot, dialog)

    dialog = open_settings(qtbot, window)
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    assert dialog.keyFileRadio.isChecked() and not dialog.sessionOnlyRadio.isChecked()
    assert "api-keys.json" in dialog.keyStatusLabel.text()
    qtbot.keyClicks(dialog.apiKeyEdit, SESSION_KEY)  # a replacement goes where the old key was
    save(qtbot, dialog)
    key_file = window.settings_service.key_file
    assert json.loads(key_file.read_text(encoding="utf-8")) == {provider: SESSION_KEY}
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600

    run_whole_loop(qtbot, window)
    assert keys_sent() == [f"Bearer {SESSION_KEY}"] * 2

"""The key in use never shows, whatever its shape: not "sk-…", short, with symbols or spaces.

Test Connection showed a typed key in full when the server echoed it back and it was too short
for the shared redactor (which skips "secrets" under six characters, lest it mangle words) and
not shaped like "sk-…". The key a model or a Test Connection uses is now masked exactly, in
every message and in streamed output (a short one only where it stands alone).
"""

from __future__ import annotations

import asyncio

import fake_dashscope
import pytest
from fake_openai import Error, FakeOpenAI, Stream
from PySide6.QtCore import Qt

from hitl_desktop.core.providers import Message, build_chat_model
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings import OPENAI_COMPATIBLE, ProviderSettings
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.ui.bridge import WorkflowBridge
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.settings_dialog import SettingsDialog

# Shapes no pattern knows: short, symbols, spaces, long without "sk-".
KEYS = ["k3y!", "x7Q2p", "my key 42", "tok_ABCdef123456789"]


@pytest.fixture
def dialog(qtbot, qloop):  # type: ignore[no-untyped-def]
    service = SettingsService(SecretStore())
    bridge = WorkflowBridge(settings=service)
    shown = SettingsDialog(AsyncSettingsService(service), tester=bridge.test_connection)
    bridge.setParent(shown)
    qtbot.addWidget(shown)
    shown.open()
    qtbot.waitExposed(shown)
    qtbot.waitUntil(shown.key_state_known, timeout=5_000)
    return shown


def _test_connection(qtbot, dialog: SettingsDialog, key: str, words: str) -> str:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.apiKeyEdit, key)
    qtbot.mouseClick(dialog.testButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: words in dialog.result_text(), timeout=10_000)
    return dialog.result_text()


@pytest.mark.parametrize("key", KEYS)
def test_test_connection_never_shows_an_echoed_key(qtbot, dialog, fake_openai: FakeOpenAI, key: str) -> None:  # type: ignore[no-untyped-def]
    fake_openai.replies = [Error(401, f"Incorrect API key provided: {key}. Check it.", code="invalid_api_key")]
    dialog.providerCombo.setCurrentIndex(dialog.providerCombo.findData(OPENAI_COMPATIBLE))
    dialog.baseUrlEdit.setText(fake_openai.base_url)
    shown = _test_connection(qtbot, dialog, key, "refused the API key")
    assert fake_openai.requests[0].headers["Authorization"] == f"Bearer {key}"  # it was used
    assert key not in shown and "[redacted]" in shown


@pytest.mark.parametrize("key", KEYS)
def test_test_connection_on_dashscope_never_shows_an_echoed_key(  # type: ignore[no-untyped-def]
        qtbot, dialog, fake_dashscope: fake_dashscope.FakeDashScope, key: str) -> None:
    fake_dashscope.replies = [fake_dashscope_error(key)]
    shown = _test_connection(qtbot, dialog, key, "refused the API key")
    assert key not in shown and "[redacted]" in shown


def fake_dashscope_error(key: str) -> fake_dashscope.Error:
    return fake_dashscope.Error(401, "InvalidApiKey", f"Invalid API-key provided: {key}")


@pytest.mark.parametrize("key", KEYS)
def test_a_key_echoed_in_streamed_output_is_masked_even_split(fake_openai: FakeOpenAI, key: str) -> None:
    half = len(key) // 2
    fake_openai.replies = [Stream(["The key is ", key[:half], key[half:], " — keep it safe."])]
    settings = ProviderSettings(provider=OPENAI_COMPATIBLE, model="m", base_url=fake_openai.base_url,
                                api_key=key)

    async def collect() -> str:
        model = build_chat_model(settings)
        return "".join([p async for p in model.stream_chat([Message("user", "hi")])])

    assert asyncio.run(collect()) == "The key is [redacted] — keep it safe."


def test_a_short_key_is_masked_only_where_it_stands_alone() -> None:
    # A four-letter key must not eat those letters out of ordinary words.
    assert redact("keys: k3y! and monk3y!s", also=["k3y!"]) == "keys: [redacted] and monk3y!s"
    assert redact("the word then", also=["then"]) == "the word [redacted]"

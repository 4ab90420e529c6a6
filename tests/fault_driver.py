"""Driving the real app into a provider fault and out again: the window the app builds (its
own bridge, settings service and retry policy), pointed at a fake server told what to do.

Retries are real (every attempt is a request the fake server answers) but their waits are cut
to milliseconds. Everything the window shows can be gathered (`shown_text`) to check that no
key leaked into it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import fake_dashscope
import fake_openai
import pytest
from PySide6.QtCore import Qt
from window_driver import open_review_dialog, start_run, wait_for_review

from hitl_desktop.core.settings import OPENAI_COMPATIBLE, ProviderSettings, load_settings, save_settings
from hitl_desktop.ui import MainWindow

# Keys of no known shape (no "sk-"), so only exact redaction can keep them out of sight.
OPENAI_KEY = "tok-faults-9c41d2e7"
DASHSCOPE_KEY = "ds-faults-58a1c0b2"
TIMEOUT_S = 5.0  # the shortest timeout Settings allows
TOPIC = "tidal power in the Bay of Fundy"


def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app's own retry policy (four attempts, exponential, jittered), in milliseconds."""
    from hitl_desktop.core.providers import retry

    monkeypatch.setattr(retry, "RetryPolicy",
                        functools.partial(retry.RetryPolicy, base_delay_s=0.005, max_delay_s=0.02))


def use_openai(monkeypatch: pytest.MonkeyPatch, base_url: str) -> str:
    """Settings as a person would save them for an OpenAI-compatible server; returns the key."""
    save_settings(ProviderSettings(provider=OPENAI_COMPATIBLE, model="fault-model", base_url=base_url,
                                   request_timeout_s=TIMEOUT_S))
    monkeypatch.setenv("OPENAI_API_KEY", OPENAI_KEY)
    return OPENAI_KEY


def use_dashscope(monkeypatch: pytest.MonkeyPatch, base_url: str) -> str:
    save_settings(ProviderSettings(request_timeout_s=TIMEOUT_S))
    monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", base_url)
    monkeypatch.setenv("DASHSCOPE_API_KEY", DASHSCOPE_KEY)
    return DASHSCOPE_KEY


@dataclass
class AppDriver:
    qtbot: object
    window: MainWindow
    keys: list[str] = field(default_factory=list)

    def run(self, topic: str = TOPIC) -> None:
        start_run(self.qtbot, self.window, topic)

    def problem(self, timeout_ms: int = 20_000) -> str:
        """The problem bar's text, once it shows."""
        self.qtbot.waitUntil(self.window.messageBar.isVisible, timeout=timeout_ms)
        return self.window.messageBar.message()

    def retry(self) -> None:
        button = self.window.messageBar.action("Retry")
        assert button is not None, self.window.messageBar.message()
        self.qtbot.mouseClick(button, Qt.MouseButton.LeftButton)

    def review(self, round_number: int = 1):  # type: ignore[no-untyped-def]
        return wait_for_review(self.qtbot, self.window, round_number)

    def approve(self, round_number: int = 1) -> None:
        dialog = self.review(round_number)
        self.qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)

    def report(self, timeout_ms: int = 20_000) -> str:
        self.qtbot.waitUntil(lambda: self.window.report is not None, timeout=timeout_ms)
        return self.window.reportView.toPlainText()

    def progress(self) -> list[str]:
        items = self.window.progressList
        return [items.item(i).text() for i in range(items.count())]

    def shown_text(self) -> str:
        """Everything the window shows in words: banners, progress, report, status, review."""
        parts = [self.window.messageBar.message(), self.window.setupBanner.message(),
                 *self.progress(), self.window.reportView.toPlainText(),
                 self.window.statusBar().currentMessage(), self.window.windowTitle()]
        dialog = open_review_dialog(self.window)
        if dialog is not None:
            parts.append(dialog.researchView.toPlainText())
        return "\n".join(parts)

    def assert_no_key_shown(self, log_text: str = "") -> None:
        shown = self.shown_text() + "\n" + log_text
        leaked = [key for key in self.keys if key in shown]
        assert not leaked, f"key(s) {leaked} shown"

    def close(self) -> None:
        """End any run, then close the window as at logout (no question asked) and free it."""
        self.window.bridge.stop()
        self.qtbot.waitUntil(lambda: not self.window.bridge.is_running, timeout=10_000)
        self.window.close_without_asking()
        self.window.deleteLater()
        self.qtbot.wait(10)


def open_app(qtbot, keys: list[str]) -> AppDriver:  # type: ignore[no-untyped-def]
    """The window as the app builds it: MainWindow() makes its own bridge and settings service.
    Not handed to qtbot: its closing comes after the fixture's, once the run has been ended
    (call `close`)."""
    window = MainWindow()
    window.show()
    qtbot.waitExposed(window)
    return AppDriver(qtbot, window, keys)


GOOD_NOTES = ["## Findings\n\n", "The Bay of Fundy has the ", "highest tides on Earth."]
GOOD_REPORT = ["# Tidal report\n\n", "Tides in the bay ", "reach sixteen metres."]


@dataclass
class Faulty:
    """One provider's fake server, the app pointed at it, and the words to script it with."""

    name: str
    fake: Any          # FakeDashScope or FakeOpenAI: `replies`, `default`, `requests`
    wire: ModuleType   # fake_dashscope or fake_openai: Stream, Drop, Raw, HTML_502, garbage
    app: AppDriver
    monkeypatch: pytest.MonkeyPatch

    def error(self, status: int, code: str, message: str) -> Any:
        if self.wire is fake_dashscope:
            return fake_dashscope.Error(status, code, message)
        return fake_openai.Error(status, message, code=code)

    def stream(self, chunks: list[str], **options: Any) -> Any:
        return self.wire.Stream(list(chunks), **options)

    def good(self) -> None:
        """From now on the server answers properly."""
        self.fake.replies = []
        self.fake.default = self.stream(GOOD_NOTES)

    def point_at(self, base_url: str) -> None:
        """Send the next calls elsewhere, as an edited setting would (read afresh per call)."""
        if self.wire is fake_dashscope:
            self.monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", base_url)
        else:
            saved = load_settings({}, with_key=False)
            save_settings(ProviderSettings(**{**saved.public_dict(), "base_url": base_url,
                                              "provider": OPENAI_COMPATIBLE}))

    @property
    def key(self) -> str:
        return self.app.keys[0]

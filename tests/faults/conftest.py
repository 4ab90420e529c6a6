"""Fixtures for the fault catalogue: the real app against a fake provider told to misbehave."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import fake_dashscope
import fake_openai
import pytest
from fault_driver import Faulty, fast_retries, open_app, use_dashscope, use_openai


@pytest.fixture(params=["dashscope", "openai"])
def faulty(request: pytest.FixtureRequest, qtbot, qloop, monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
           caplog: pytest.LogCaptureFixture) -> Iterator[Faulty]:
    fast_retries(monkeypatch)
    if request.param == "dashscope":
        server, wire, configure = fake_dashscope.FakeDashScopeServer(), fake_dashscope, use_dashscope
    else:
        server, wire, configure = fake_openai.FakeOpenAIServer(), fake_openai, use_openai
    with server:
        key = configure(monkeypatch, server.base_url)
        app = open_app(qtbot, [key])
        faulty = Faulty(request.param, server.fake, wire, app, monkeypatch)
        try:
            yield faulty
            app.assert_no_key_shown(caplog.text)
        finally:
            app.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def window_with(qtbot, qloop):  # type: ignore[no-untyped-def]
    """A window whose runs use a scripted model (as in tests/ui): for faults in the views."""
    from hitl_desktop.ui import MainWindow
    from hitl_desktop.ui.bridge import WorkflowBridge

    windows: list[MainWindow] = []

    def make(model):  # type: ignore[no-untyped-def]
        window = MainWindow(WorkflowBridge(model_source=lambda: model))
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield make
    for window in windows:
        window.bridge.stop()
        qtbot.waitUntil(lambda w=window: not w.bridge.is_running, timeout=5_000)

"""Shared fixtures: an isolated user home, the real qasync loop under pytest-qt, fake servers."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).parent))

_PROVIDER_ENV = ("DASHSCOPE_API_KEY", "OPENAI_API_KEY", "DASHSCOPE_HTTP_BASE_URL",
                 "HITL_DESKTOP_PROVIDER", "HITL_DESKTOP_MODEL")


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own HOME and XDG folders, and no provider settings from the machine."""
    home = tmp_path / "home"
    for name, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                      ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache")):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(folder))
    for name in _PROVIDER_ENV:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["hitl-desktop-tests"]


@pytest.fixture
def app(qapp, isolated_home: Path):  # type: ignore[no-untyped-def]
    """The QApplication with our names, and QSettings pointed into the isolated home."""
    from PySide6.QtCore import QSettings

    from hitl_desktop import APP_NAME, ORGANIZATION, ORGANIZATION_DOMAIN

    qapp.setApplicationName(APP_NAME)
    qapp.setOrganizationName(ORGANIZATION)
    qapp.setOrganizationDomain(ORGANIZATION_DOMAIN)
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope,
                      str(isolated_home / ".config"))
    return qapp


@pytest.fixture(scope="session")
def _qasync_loop(qapp) -> Iterator[asyncio.AbstractEventLoop]:  # type: ignore[no-untyped-def]
    # One loop for the whole session, as in the app: qasync loops created and closed per test
    # leave Qt connections behind that crash PySide at interpreter exit.
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    asyncio.set_event_loop(loop)
    yield loop


@pytest.fixture
def qloop(app, _qasync_loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.AbstractEventLoop]:  # type: ignore[no-untyped-def]
    """qasync's QEventLoop as the running asyncio loop, driven by Qt's event processing.

    pytest-qt's waits spin Qt's event loop, which runs qasync's callbacks, so coroutines started
    by the widgets make progress exactly as they do in the app. Tasks a test leaves behind are
    cancelled, and must finish, before the next test.
    """
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer

    before = set(asyncio.all_tasks(_qasync_loop))
    yield _qasync_loop
    tasks = [t for t in asyncio.all_tasks(_qasync_loop) if t not in before and not t.done()]
    for task in tasks:
        task.cancel()
    deadline = QDeadlineTimer(5000)
    while any(not t.done() for t in tasks) and not deadline.hasExpired():
        QCoreApplication.processEvents()
    leftover = [t for t in tasks if not t.done()]
    assert not leftover, f"tasks still pending after the test: {leftover}"


@pytest.fixture
def fake_dashscope(monkeypatch: pytest.MonkeyPatch) -> Iterator["FakeDashScope"]:  # noqa: F821
    from fake_dashscope import FakeDashScopeServer

    with FakeDashScopeServer() as server:
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", server.base_url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", "sk-test-fake-key-0123456789")
        yield server.fake

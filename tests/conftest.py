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


_ASYNCIO_LEAKS = ("Task was destroyed but it is pending", "exception was never retrieved",
                  "was never awaited")


@pytest.fixture(autouse=True)
def no_leaked_tasks(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail a test whose coroutines were abandoned or whose task errors went unseen."""
    import gc

    yield
    gc.collect()
    leaks = [r.getMessage() for r in caplog.records
             if r.name == "asyncio" and any(text in r.getMessage() for text in _ASYNCIO_LEAKS)]
    assert not leaks, leaks


@pytest.fixture(scope="session", autouse=True)
def _clipboard_emptied_before_exit() -> Iterator[None]:
    """Rich-text copies leave a Python-made QMimeData on the clipboard; offscreen Qt would delete
    it after Python has shut down and crash the run at exit (the app swaps it on aboutToQuit)."""
    yield
    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is not None:
        QGuiApplication.clipboard().clear()


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


@pytest.fixture
def qloop(app) -> Iterator[asyncio.AbstractEventLoop]:  # type: ignore[no-untyped-def]
    """qasync's QEventLoop as the running asyncio loop, driven by Qt's event processing.

    pytest-qt's waits spin Qt's event loop, which runs qasync's callbacks, so coroutines started
    by the widgets make progress exactly as they do in the app. Tasks a test leaves behind are
    cancelled, and must finish, before the loop is closed.
    """
    import qasync
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer

    from hitl_desktop.ui.event_loop import install_asyncgen_hooks

    loop = qasync.QEventLoop(app, already_running=True)
    asyncio.set_event_loop(loop)
    install_asyncgen_hooks(loop)
    try:
        yield loop
    finally:
        tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in tasks:
            task.cancel()
        deadline = QDeadlineTimer(5000)
        while any(not t.done() for t in tasks) and not deadline.hasExpired():
            QCoreApplication.processEvents()
        leftover = [t for t in tasks if not t.done()]
        # An already_running loop is closed by its owner. Its stop() would call app.exit() and
        # end the next Qt event loop the tests spin, so only clear the running flag.
        loop._QEventLoop__is_running = False  # type: ignore[attr-defined]
        asyncio.events._set_running_loop(None)
        loop.close()
        _kill_pending_timers(loop)
        asyncio.set_event_loop(None)
        sys.set_asyncgen_hooks(None, None)
    assert not leftover, f"tasks still pending after the test: {leftover}"


def _kill_pending_timers(loop: asyncio.AbstractEventLoop) -> None:
    """Stop a closed qasync loop's Qt timers now, on the UI thread.

    A cancelled call_later (the timeout of an asyncio.wait, of an HTTP read) keeps its Qt timer
    until it would have fired. The closed loop is a reference cycle, so the garbage collector
    frees it later on whatever thread it happens to run, possibly a worker thread importing a
    provider, where Qt warns "Timers cannot be stopped from another thread" (and fails the test).
    """
    timer = loop._timer  # type: ignore[attr-defined]
    callbacks = timer._SimpleTimer__callbacks
    for timer_id in list(callbacks):
        timer.killTimer(timer_id)
    callbacks.clear()


@pytest.fixture
def fake_dashscope(monkeypatch: pytest.MonkeyPatch) -> Iterator["FakeDashScope"]:  # noqa: F821
    """A fake DashScope server that the DashScope provider reaches, with `TEST_KEY` as its key."""
    from fake_dashscope import TEST_KEY, FakeDashScopeServer

    with FakeDashScopeServer() as server:
        monkeypatch.setenv("DASHSCOPE_HTTP_BASE_URL", server.base_url)
        monkeypatch.setenv("DASHSCOPE_API_KEY", TEST_KEY)
        yield server.fake


@pytest.fixture(autouse=True)
def isolated_keyring() -> Iterator["MemoryKeyring"]:  # noqa: F821
    """No test touches the real keychain: each gets a fresh in-memory one. (Secret stores are
    made per window or per test, so no key kept for a session outlives its test.)"""
    import keyring
    from memory_keyring import MemoryKeyring

    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend


@pytest.fixture
def fake_openai() -> Iterator["FakeOpenAI"]:  # noqa: F821
    """A fake OpenAI-compatible server; its `base_url` (ending in /v1) goes into the settings."""
    from fake_openai import FakeOpenAIServer

    with FakeOpenAIServer() as server:
        yield server.fake

"""A damaged settings file never stops the app: defaults are used, the file is kept aside, and the
person is told where it went.

200,000 '[' made json.loads raise RecursionError, which reading the settings did not catch:
the app did not start. Any settings file that cannot be read as settings (nested too deep, not
JSON, not UTF-8, not an object, absurdly large) is now moved to settings.json.damaged-<time>,
the defaults are used, the log says so and the window's problem bar names the kept file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from app_process import SOURCE_COMMAND, isolated_env, log_text, run_app
from fake_dashscope import FakeDashScopeServer, Stream

from hitl_desktop.core.settings import (
    ProviderSettings,
    load_settings,
    recover_damaged_settings,
    save_settings,
    settings_file,
)

DAMAGED = {
    "nested-200000": b"[" * 200_000,
    "nested-objects": b'{"a":' * 100_000,
    "truncated": b'{"provider": "openai_compatible", "model": ',
    "not-utf8": b'{"model": "\xff\xfe"}',
    "nul-bytes": b"\x00" * 64,
    "a-list": b"[1, 2, 3]",
    "a-number": b"42",
    "huge": b'{"model": "' + b"m" * 2_000_000 + b'"}',
}


def _damaged_copies(folder: Path) -> list[Path]:
    return sorted(folder.glob("settings.json.damaged-*"))


@pytest.mark.parametrize("name", list(DAMAGED))
def test_damaged_settings_give_defaults_and_are_kept_aside(name: str) -> None:
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DAMAGED[name])

    damaged = recover_damaged_settings()
    assert damaged is not None and damaged.kept_as is not None
    assert _damaged_copies(path.parent) == [damaged.kept_as]
    assert damaged.kept_as.read_bytes() == DAMAGED[name]  # nothing of the person's file is lost
    assert not path.exists()
    assert "damaged" in damaged.message and str(damaged.kept_as) in damaged.hint
    assert load_settings({}, with_key=False) == ProviderSettings()
    assert recover_damaged_settings() is None  # said once

    save_settings(ProviderSettings(model="qwen-max"))  # and the app can save again
    assert load_settings({}, with_key=False).model == "qwen-max"


def test_any_reader_sets_a_damaged_file_aside_not_only_the_start_up_check() -> None:
    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DAMAGED["nested-200000"])
    assert load_settings({}, with_key=False) == ProviderSettings()  # RecursionError before
    assert len(_damaged_copies(path.parent)) == 1
    notice = recover_damaged_settings()
    assert notice is not None and notice.kept_as == _damaged_copies(path.parent)[0]


def test_the_app_starts_and_runs_with_a_damaged_settings_file(tmp_path: Path) -> None:
    """The real app, as a process: it used to die at start with RecursionError."""
    home = tmp_path / "home"
    env = isolated_env(home)
    config = Path(env["XDG_CONFIG_HOME"]) / "hitl-desktop"
    config.mkdir(parents=True)
    (config / "settings.json").write_bytes(DAMAGED["nested-200000"])
    report = tmp_path / "report.md"
    with FakeDashScopeServer() as server:
        server.fake.replies = [Stream(["## Notes\n\n", "Tides."]), Stream(["# Report\n\n", "Done."])]
        env.update(DASHSCOPE_HTTP_BASE_URL=server.base_url, DASHSCOPE_API_KEY="sk-damaged-settings-0001")
        result = run_app(SOURCE_COMMAND, ["--topic", "tides", "--auto-approve", "--save-report",
                                          str(report), "--quit-when-done"], env)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "Done." in report.read_text(encoding="utf-8")
    kept = _damaged_copies(config)
    assert len(kept) == 1 and kept[0].read_bytes() == DAMAGED["nested-200000"]
    log = log_text(home)
    assert "was damaged" in log and kept[0].name in log
    assert "RecursionError" not in result.stderr


def test_the_window_names_the_kept_file_in_its_problem_bar(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    """What the app does at start (ui/app.py): set the file aside, then say so in the window."""
    from PySide6.QtWidgets import QApplication

    from hitl_desktop.ui import app as app_module
    from hitl_desktop.ui.widgets.main_window import MainWindow

    path = settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(DAMAGED["truncated"])
    args = app_module.parse_args([])  # a plain launch
    qapp = QApplication.instance()
    first_frame = app_module._show_first_frame(args)  # as the app shows it, then attaches its services
    started = qloop.create_task(app_module._run_window(qapp, first_frame, args))
    try:
        qtbot.waitUntil(lambda: _window(MainWindow) is not None
                        and _window(MainWindow).messageBar.isVisible(), timeout=10_000)
        window = _window(MainWindow)
        kept = _damaged_copies(path.parent)
        assert len(kept) == 1
        message = window.messageBar.message()
        assert "settings file was damaged" in message and str(kept[0]) in message
        window.close_without_asking()
        window.deleteLater()
        qapp.aboutToQuit.emit()  # what quitting the app emits: _run_window winds down
        qtbot.waitUntil(started.done, timeout=10_000)
        assert started.result() == 0
    finally:
        if not started.done():
            started.cancel()


def _window(kind):  # type: ignore[no-untyped-def]
    from PySide6.QtWidgets import QApplication

    return next((w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()), None)


def test_a_key_file_nested_too_deep_is_ignored_not_fatal() -> None:
    from hitl_desktop.core.secret_store import SecretStore, key_file

    path = key_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"[" * 200_000)
    path.chmod(0o600)
    assert SecretStore(env={})._file_read() == {}  # RecursionError before


"""The command line of the source install, run as real processes: version, desktop entry,
automation, a missing display, a second instance. (The frozen bundle: tests/bundle/test_packaging.py.)"""

from __future__ import annotations

import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from app_process import SOURCE_COMMAND, isolated_env, log_text, run_app
from fake_dashscope import Error, FakeDashScopeServer, Stream

from hitl_desktop import APP_ID, __version__
from hitl_desktop.ui.display import display_problem
from hitl_desktop.ui.single_instance import SingleInstance

RESEARCH = ["## Key findings\n\n", "1. Tidal range at La Rance is 8 m.\n"]
REPORT = ["# Tidal Power\n\n", "## Summary\n\n", "Tidal power is predictable.\n"]
FAKE_KEY = "sk-fake-cli-test-0123456789"


def test_version_prints_and_exits(tmp_path: Path) -> None:
    result = run_app(SOURCE_COMMAND, ["--version"], isolated_env(tmp_path))
    assert result.returncode == 0
    assert result.stdout.strip() == f"HITL Desktop {__version__}"


def test_desktop_entry_install_and_uninstall_commands(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    entry = Path(env["XDG_DATA_HOME"]) / "applications" / f"{APP_ID}.desktop"

    installed = run_app(SOURCE_COMMAND, ["--install-desktop-entry"], env)
    assert installed.returncode == 0, installed.stderr
    assert str(entry) in installed.stdout and "launcher" in installed.stdout
    assert "Exec=" in entry.read_text(encoding="utf-8")

    removed = run_app(SOURCE_COMMAND, ["--uninstall-desktop-entry"], env)
    assert removed.returncode == 0 and "Removed 10 files" in removed.stdout
    assert not entry.exists()


def test_automated_run_against_the_fake_server_saves_the_report(tmp_path: Path) -> None:
    report = tmp_path / "out" / "tidal.md"
    report.parent.mkdir()
    with FakeDashScopeServer() as server:
        server.fake.replies = [Stream(RESEARCH), Stream(REPORT)]
        env = isolated_env(tmp_path / "home", DASHSCOPE_HTTP_BASE_URL=server.base_url,
                           DASHSCOPE_API_KEY=FAKE_KEY)
        result = run_app(SOURCE_COMMAND, ["--topic", "tidal power in Europe", "--auto-approve",
                                          "--save-report", str(report), "--quit-when-done"], env)
    assert result.returncode == 0, result.stderr
    assert "Approving research round 1" in result.stdout
    assert f"Saved the report to {report}" in result.stdout
    text = report.read_text(encoding="utf-8")
    assert 'topic: "tidal power in Europe"' in text and "Tidal power is predictable." in text
    assert len(server.fake.requests) == 2
    assert FAKE_KEY not in result.stdout + result.stderr + log_text(tmp_path / "home")


def test_a_fresh_install_with_no_key_and_no_network_does_the_whole_job_on_the_sample_documents(
        tmp_path: Path) -> None:
    """The README's launch command on a new machine: no key, no network, no documents added. The
    offline engine researches the bundled sample documents and writes a report with References."""
    report = tmp_path / "out" / "tides.md"
    report.parent.mkdir()
    env = isolated_env(tmp_path / "home")
    result = run_app(SOURCE_COMMAND, ["--topic", "tidal stream power in Europe", "--auto-approve",
                                      "--save-report", str(report), "--quit-when-done"], env)
    assert result.returncode == 0, result.stderr
    text = report.read_text(encoding="utf-8")
    assert "Offline, extractive report" in text and "## References" in text
    references = text[text.index("## References"):]
    assert "sample_corpus" in references and "tid" in references.lower()
    assert "bread" not in text.lower() and "sourdough" not in text.lower()


def test_automated_run_that_fails_exits_non_zero_with_the_reason(tmp_path: Path) -> None:
    report = tmp_path / "never.md"
    with FakeDashScopeServer() as server:
        server.fake.default = Error(401, "InvalidApiKey", "Invalid API-key provided.")
        env = isolated_env(tmp_path / "home", DASHSCOPE_HTTP_BASE_URL=server.base_url,
                           DASHSCOPE_API_KEY=FAKE_KEY)
        result = run_app(SOURCE_COMMAND, ["--topic", "tides", "--auto-approve", "--save-report",
                                          str(report), "--quit-when-done"], env)
    assert result.returncode == 1
    assert "research failed" in result.stderr and "HTTP 401" in result.stderr
    assert not report.exists()


def test_closing_the_app_mid_run_cancels_cleanly(tmp_path: Path) -> None:
    """Logout or `kill` while the model is still streaming: the run stops, nothing is left pending."""
    with FakeDashScopeServer() as server:
        server.fake.replies = [Stream(["Researching", " slowly"] * 50, delay_s=0.2)]
        env = isolated_env(tmp_path / "home", DASHSCOPE_HTTP_BASE_URL=server.base_url,
                           DASHSCOPE_API_KEY=FAKE_KEY)
        app = subprocess.Popen([*SOURCE_COMMAND, "--topic", "tides", "--auto-approve"], env=env,
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 60
            while not server.fake.requests:
                assert time.monotonic() < deadline and app.poll() is None, "the run never started"
                time.sleep(0.1)
            time.sleep(0.5)  # mid-stream
            app.terminate()
            out, err = app.communicate(timeout=30)
        finally:
            if app.poll() is None:
                app.kill()
    # An automated run reports the outcome of the run: stopped is not success (exit 1, said plainly).
    # A person closing the window gets exit 0: test_second_instance_brings_the_first_forward_and_exits.
    assert app.returncode == 1, err
    assert "stopped before it finished" in err
    for leak in ("Task was destroyed but it is pending", "Traceback", "never awaited", "never retrieved"):
        assert leak not in err and leak not in log_text(tmp_path / "home")


def test_automation_flags_need_a_topic(tmp_path: Path) -> None:
    result = run_app(SOURCE_COMMAND, ["--auto-approve", "--quit-when-done"], isolated_env(tmp_path))
    assert result.returncode == 2
    assert "need --topic" in result.stderr


def test_no_display_gives_a_clear_message_instead_of_an_abort(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    del env["QT_QPA_PLATFORM"]  # and DISPLAY / WAYLAND_DISPLAY are not set
    result = run_app(SOURCE_COMMAND, [], env)
    assert result.returncode == 3
    assert "No display is available" in result.stderr
    assert "QT_QPA_PLATFORM=offscreen" in result.stderr and "libxcb-cursor0" in result.stderr


def test_unreachable_x_server_is_explained_not_core_dumped(tmp_path: Path) -> None:
    # Qt itself finds the display unusable and raises a fatal error; the app explains it.
    env = isolated_env(tmp_path, QT_QPA_PLATFORM="xcb", DISPLAY=":97531")
    result = run_app(SOURCE_COMMAND, [], env)
    assert result.returncode == 3, result.stderr
    assert "cannot open its window" in result.stderr and "xcb" in result.stderr
    assert "libxcb-cursor0" in result.stderr


@pytest.mark.parametrize(("env", "problem"), [
    ({}, True),
    ({"DISPLAY": ":0"}, False),
    ({"WAYLAND_DISPLAY": "wayland-0"}, False),
    ({"QT_QPA_PLATFORM": "offscreen"}, False),
    ({"QT_QPA_PLATFORM": "xcb", "WAYLAND_DISPLAY": "wayland-0"}, True),
    ({"QT_QPA_PLATFORM": "wayland", "WAYLAND_DISPLAY": "wayland-0"}, False),
])
def test_display_problem_rules_on_linux(env: dict[str, str], problem: bool) -> None:
    assert bool(display_problem(env, "linux")) is problem


def test_display_is_not_checked_on_windows_or_macos() -> None:
    assert display_problem({}, "win32") == "" and display_problem({}, "darwin") == ""


def test_second_instance_brings_the_first_forward_and_exits(tmp_path: Path) -> None:
    env = isolated_env(tmp_path)
    first = subprocess.Popen([*SOURCE_COMMAND], env=env, cwd=tmp_path,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lock = Path(env["XDG_DATA_HOME"]) / APP_ID / "instance.lock"
        deadline = time.monotonic() + 60
        while not lock.exists() and time.monotonic() < deadline and first.poll() is None:
            time.sleep(0.1)
        assert lock.exists(), "the first instance never took the lock"

        second = run_app(SOURCE_COMMAND, [], env, timeout=60)
        assert second.returncode == 0, second.stderr
        assert "already running" in second.stdout
        deadline = time.monotonic() + 10
        while "A second launch asked for this window" not in log_text(tmp_path):
            assert time.monotonic() < deadline, "the first instance was not asked to show itself"
            time.sleep(0.1)
        assert first.poll() is None  # the first instance is still running
    finally:
        first.terminate()
        first.communicate(timeout=30)
    # SIGTERM closed it the normal way: clean exit, lock and socket released.
    assert first.returncode == 0
    assert not lock.exists()
    socket_file = Path(tempfile.gettempdir()) / SingleInstance(lock.parent).server_name
    assert not socket_file.exists()


def test_window_icon_has_every_size(app) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.ui.app import _app_icon

    icon = _app_icon()
    assert not icon.isNull()
    assert sorted(size.width() for size in icon.availableSizes()) == [16, 24, 32, 48, 64, 128, 256, 512]


def test_the_package_list_in_pyproject_matches_the_source_tree() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    declared = set(tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    on_disk = {".".join(init.parent.relative_to(root).parts) for init in (root / "hitl_desktop").rglob("__init__.py")}
    assert declared == on_disk | {"hitl_desktop._resources"}

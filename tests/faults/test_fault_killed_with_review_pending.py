"""The real app process killed while its review waits: SIGKILL (a crash, a power cut) and SIGTERM
(logout). Started again on the same data folder with --approve-pending, it approves the restored
review and writes the report: the fake provider gets exactly one more request — the report,
written from the round-1 notes — and no second research."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from app_process import SOURCE_COMMAND, isolated_env, run_app
from fake_dashscope import FakeDashScopeServer, Stream

from hitl_desktop import APP_ID
from hitl_desktop.core.store import FILE_NAME

TOPIC = "tidal power in Europe"
RESEARCH = ["## Key findings\n\n", "1. La Rance has made power since 1966.\n"]
REPORT = ["# Tidal Power\n\n", "## Summary\n\n", "Predictable, and costly.\n"]
FAKE_KEY = "sk-fake-kill-test-0123456789"
WAIT_S = 90  # generous: the machine may be busy (only the SIGTERM exit is held to a limit)

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")


def run_status(store: Path) -> str | None:
    """The run's status as the app last committed it, read straight from the file."""
    if not store.is_file():
        return None
    conn = sqlite3.connect(f"file:{store}?mode=ro", uri=True, timeout=5)
    try:
        row = conn.execute("SELECT status FROM runs").fetchone()
        return row[0] if row else None
    except sqlite3.OperationalError:  # the schema is still being created
        return None
    finally:
        conn.close()


def start_and_wait_for_review(env: dict[str, str], store: Path, out: Path) -> subprocess.Popen[str]:
    """The app runs the topic and waits for a review nobody gives (no --auto-approve)."""
    app = subprocess.Popen([*SOURCE_COMMAND, "--topic", TOPIC, "--save-report", str(out), "--quit-when-done"],
                           env=env, cwd=env["HOME"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + WAIT_S
    while run_status(store) != "waiting_for_review":
        if app.poll() is not None or time.monotonic() > deadline:
            app.kill()
            _, err = app.communicate()
            pytest.fail(f"the review never became pending (exit {app.returncode}): {err[-2000:]}")
        time.sleep(0.1)
    return app


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM], ids=["sigkill", "sigterm"])
def test_a_killed_apps_pending_review_is_approved_after_a_restart_without_new_research(
        tmp_path: Path, how: signal.Signals) -> None:
    out = tmp_path / "out" / "tides.md"
    out.parent.mkdir()
    home = tmp_path / "home"
    with FakeDashScopeServer() as server:
        server.fake.replies = [Stream(RESEARCH), Stream(REPORT)]
        env = isolated_env(home, DASHSCOPE_HTTP_BASE_URL=server.base_url, DASHSCOPE_API_KEY=FAKE_KEY)
        store = home / ".local" / "share" / APP_ID / FILE_NAME
        app = start_and_wait_for_review(env, store, out)
        assert len(server.fake.requests) == 1  # the research, and nothing since
        app.send_signal(how)
        # SIGTERM keeps the run for later and exits promptly (README: within seconds).
        app.wait(timeout=5 if how is signal.SIGTERM else WAIT_S)
        assert app.returncode == (-signal.SIGKILL if how is signal.SIGKILL else 1)
        assert run_status(store) == "waiting_for_review"
        assert not out.exists()

        again = run_app(SOURCE_COMMAND, ["--approve-pending", "--save-report", str(out), "--quit-when-done"],
                        env, timeout=WAIT_S)
        assert again.returncode == 0, again.stderr
        assert "Approving research round 1" in again.stdout
        assert len(server.fake.requests) == 2  # one more: the report
        report_prompt = server.fake.requests[1].prompt_text
        assert "La Rance has made power since 1966." in report_prompt  # written from the round-1 notes
        assert "Predictable, and costly." in out.read_text(encoding="utf-8")
        assert run_status(store) == "done"


def test_approve_pending_with_nothing_waiting_says_so(tmp_path: Path) -> None:
    result = run_app(SOURCE_COMMAND, ["--approve-pending", "--quit-when-done"], isolated_env(tmp_path),
                     timeout=WAIT_S)
    assert result.returncode == 2 and "No review was waiting" in result.stderr

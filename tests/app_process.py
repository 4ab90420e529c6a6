"""Run the app as a separate process (source or frozen) with an isolated home, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

SOURCE_COMMAND = [sys.executable, "-m", "hitl_desktop"]
REPO_ROOT = Path(__file__).resolve().parent.parent

_DROPPED = ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM", "DASHSCOPE_API_KEY", "OPENAI_API_KEY",
            "DASHSCOPE_HTTP_BASE_URL", "HITL_DESKTOP_PROVIDER", "HITL_DESKTOP_MODEL", "NLTK_DATA",
            "TIKTOKEN_CACHE_DIR", "PYTHONPATH", "DBUS_SESSION_BUS_ADDRESS")


def isolated_env(home: Path, **extra: str) -> dict[str, str]:
    """A clean environment: own HOME and XDG folders, offscreen Qt, no provider settings.

    Network downloads go to a dead proxy, so any attempt to fetch data files fails instead of
    silently succeeding; 127.0.0.1 (the fake servers) stays reachable.
    """
    env = {key: value for key, value in os.environ.items() if key not in _DROPPED}
    for name, sub in (("HOME", ""), ("XDG_CONFIG_HOME", ".config"), ("XDG_DATA_HOME", ".local/share"),
                      ("XDG_STATE_HOME", ".local/state"), ("XDG_CACHE_HOME", ".cache")):
        folder = home / sub
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    dead_proxy = "http://127.0.0.1:9"
    env.update(QT_QPA_PLATFORM="offscreen", HTTP_PROXY=dead_proxy, HTTPS_PROXY=dead_proxy,
               http_proxy=dead_proxy, https_proxy=dead_proxy, NO_PROXY="127.0.0.1,localhost",
               no_proxy="127.0.0.1,localhost")
    env.update(extra)
    return env


def run_app(command: Sequence[str], args: Sequence[str], env: dict[str, str],
            timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*command, *args], env=env, capture_output=True, text=True, check=False,
                          timeout=timeout, cwd=env["HOME"])


def log_text(home: Path) -> str:
    log = home / ".local" / "state" / "hitl-desktop" / "log" / "hitl-desktop.log"
    return log.read_text(encoding="utf-8") if log.is_file() else ""

"""Where user data lives: the platform's standard locations, never the install folder.

Qt-free on purpose so the core (settings, logs) can use it headless. On Linux platformdirs
honours XDG_CONFIG_HOME / XDG_DATA_HOME / XDG_STATE_HOME, which is how tests isolate.
"""

from __future__ import annotations

from pathlib import Path

import platformdirs

from hitl_desktop import APP_ID


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_ID, appauthor=False)


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_ID, appauthor=False)


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_ID, appauthor=False)


def ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path

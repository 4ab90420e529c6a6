"""Where the window's own state lives (layout, the last folder saved to): `window.ini` beside
settings.json in the app's one config folder, on every platform, instead of Qt's default
(a second folder on Linux, the registry on Windows, a plist on macOS)."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from hitl_desktop.core import paths

FILE_NAME = "window.ini"


def window_state() -> QSettings:
    return QSettings(str(paths.config_dir() / FILE_NAME), QSettings.Format.IniFormat)

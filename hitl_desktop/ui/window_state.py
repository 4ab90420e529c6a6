"""Where the window's own state lives (layout, the last folder saved to): `window.ini` beside
settings.json in the app's one config folder, on every platform, instead of Qt's default
(a second folder on Linux, the registry on Windows, a plist on macOS)."""

from __future__ import annotations

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QSplitter, QWidget

from hitl_desktop.core import paths

FILE_NAME = "window.ini"
_GEOMETRY = "mainWindow/geometry"
_SPLITTER = "mainWindow/splitter"


def window_state() -> QSettings:
    return QSettings(str(paths.config_dir() / FILE_NAME), QSettings.Format.IniFormat)


def restore_layout(window: QWidget, splitter: QSplitter, default_sizes: list[int]) -> None:
    """The main window's size, place and pane widths as the person last left them."""
    settings = window_state()
    geometry = settings.value(_GEOMETRY)
    if geometry is not None:
        window.restoreGeometry(geometry)
    sizes = settings.value(_SPLITTER)
    if sizes is not None:
        splitter.restoreState(sizes)
    else:
        splitter.setSizes(default_sizes)


def save_layout(window: QWidget, splitter: QSplitter) -> None:
    settings = window_state()
    settings.setValue(_GEOMETRY, window.saveGeometry())
    settings.setValue(_SPLITTER, splitter.saveState())


INCLUDE_PROVENANCE_KEY = "export/includeProvenance"


def include_provenance() -> bool:
    """Whether saved and printed reports say where and how they were made (on unless the person
    turned it off with File > Include How the Report Was Made). Every export call takes it as
    its `provenance` argument."""
    return bool(window_state().value(INCLUDE_PROVENANCE_KEY, True, type=bool))


def set_include_provenance(on: bool) -> None:
    window_state().setValue(INCLUDE_PROVENANCE_KEY, bool(on))

"""Qt enum properties set by their keys' names, for the widgets of the window's first frame.

The first use of any value of the `Qt` namespace (Qt.TextFormat, Qt.AlignmentFlag, ...) makes
PySide create all of its ~90 enum types at once: 20-35 ms, measured on this app's start, before
the window could show. Qt's property system takes the keys' names instead and needs none of them;
code that runs only later (key presses, focus moves) imports `Qt` where it runs.
"""

from __future__ import annotations

from PySide6.QtCore import QObject


def set_enum(target: QObject, name: str, keys: str) -> None:
    """Set the Qt property `name` of `target` to `keys` ("AlignLeft|AlignTop" for flags)."""
    if not target.setProperty(name, keys):
        raise ValueError(f"{type(target).__name__}.{name} has no value {keys!r}")

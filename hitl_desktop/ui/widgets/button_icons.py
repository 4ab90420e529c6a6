"""The standard icons of the window's buttons, which its first frame shows as blank space.

A standard icon comes from the style, and any use of QStyle from Python makes PySide create its
class and its ~11 enums: 7-11 ms measured, the largest single cost left before the first frame.
So a button starts with a transparent icon (it has its final size: nothing moves) and the style's
icon replaces it just after the first Expose (app.py), or when the services are attached.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QAbstractButton

_PENDING = "pendingStandardIcon"  # the property holding the name of the icon a button waits for


def reserve_standard_icon(button: QAbstractButton, name: str) -> None:
    """Give `button` a blank icon now and the style's `name` (a QStyle.StandardPixmap key, such
    as "SP_MediaPlay") at `set_standard_icons`."""
    blank = QPixmap(16, 16)
    blank.fill(QColor(0, 0, 0, 0))
    button.setIcon(QIcon(blank))
    button.setProperty(_PENDING, name)


def set_standard_icons(buttons: list[QAbstractButton]) -> None:
    """Replace the blank icons of `buttons` with the style's (once: later calls do nothing)."""
    waiting = [button for button in buttons if button.property(_PENDING)]
    if not waiting:
        return
    from PySide6.QtWidgets import QStyle

    for button in waiting:
        name = button.property(_PENDING)
        button.setIcon(button.style().standardIcon(getattr(QStyle.StandardPixmap, name)))
        button.setProperty(_PENDING, None)

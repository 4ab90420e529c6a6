"""Where dialogs go: centred on the window they belong to, and always wholly on a screen.

Qt's own placement of a dialog happens once, before the window manager has framed it, and a
dialog that grows afterwards (a wrapped note, a message) keeps its top-left corner. Either can
leave the title bar or the buttons off the screen. These functions place the whole frame, and
grow a dialog whose notes wrapped to more lines (`grow_to_fit`).
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QPoint, QRect
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget


def centre_on_parent(window: QWidget) -> None:
    """Centre `window` on its parent's window (the screen without one), kept on that screen."""
    parent = window.parentWidget()
    anchor = parent.window() if parent is not None else None
    area = _screen_area(anchor or window)
    frame = window.frameGeometry()
    centre = anchor.frameGeometry().center() if anchor is not None else area.center()
    top_left = QPoint(centre.x() - frame.width() // 2, centre.y() - frame.height() // 2)
    window.move(_clamped(QRect(top_left, frame.size()), area))


def keep_on_screen(window: QWidget) -> None:
    """Move `window` the least that brings its whole frame onto its screen."""
    frame = window.frameGeometry()
    target = _clamped(frame, _screen_area(window))
    if target != frame.topLeft():
        window.move(target)


def grow_to_fit(dialog: QWidget, min_width: int) -> None:
    """Tall enough for every wrapped note at the dialog's width (sizeHint ignores wrapping);
    never shrunk while shown, so nothing moves from under the pointer."""
    layout = dialog.layout()
    if layout is None:
        return
    # A changed note tells the layouts above it by posted events: let them all hear first,
    # or the height below is the one from before the change.
    QCoreApplication.sendPostedEvents(None, QEvent.Type.LayoutRequest)
    layout.activate()
    width = max(dialog.width() if dialog.isVisible() else 0, dialog.sizeHint().width(), min_width)
    height = layout.heightForWidth(width) if layout.hasHeightForWidth() else -1
    # Not sizeHint's height: that one wraps the notes at the narrower preferred width and
    # leaves a gap above the buttons at this width.
    wanted = height if height > 0 else dialog.sizeHint().height()
    if not dialog.isVisible() or wanted > dialog.height():
        dialog.resize(width, wanted)
        if dialog.isVisible():  # grown downwards: the buttons may have left the screen
            keep_on_screen(dialog)


def _screen_area(widget: QWidget) -> QRect:
    screen = widget.screen() or QGuiApplication.primaryScreen()
    return screen.availableGeometry()


def _clamped(frame: QRect, area: QRect) -> QPoint:
    """The top-left that puts `frame` inside `area`; a frame larger than the area keeps its
    top-left corner (the title bar) inside."""
    x = max(area.left(), min(frame.left(), area.left() + area.width() - frame.width()))
    y = max(area.top(), min(frame.top(), area.top() + area.height() - frame.height()))
    return QPoint(x, y)

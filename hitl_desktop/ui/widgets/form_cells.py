"""The small layout pieces the Settings dialog's forms are made of: a field with a button beside
it, a field with notes under it, a page of boxes, a wrapping rich-text note.

One place for them so every section of the dialog (model, generation, team server) lines up
the same way.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget


def row(main: QWidget, side: QWidget) -> QWidget:
    """`main` taking the width, `side` (a button) beside it."""
    box = QWidget()
    layout = QHBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(main, 1)
    layout.addWidget(side)
    return box


def stacked(*widgets: QWidget) -> QWidget:
    """One form cell holding a field and the notes under it (no empty label column rows)."""
    box = QWidget()
    column = QVBoxLayout(box)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(4)
    for widget in widgets:
        column.addWidget(widget)
    return box


def page(*widgets: QWidget) -> QWidget:
    """A tab page: the widgets at the top, one under the other."""
    tab = QWidget()
    column = QVBoxLayout(tab)
    column.setContentsMargins(0, 8, 0, 0)
    for widget in widgets:
        column.addWidget(widget)
    column.addStretch(1)
    return tab


def note_label(name: str) -> QLabel:
    """A note under a field: wraps, and takes rich text (callers escape what they put in: `esc`)."""
    label = QLabel(objectName=name)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText)
    return label


def esc(text: str) -> str:
    """`text` as rich text shows it literally."""
    return html.escape(text, quote=False)

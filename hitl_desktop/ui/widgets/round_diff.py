"""RoundDiff: what a round changed in the notes since the reviewer sent the previous ones back.

The newer notes are shown as their Markdown text, with added passages highlighted in green and
removed ones, where they used to be, struck through in red; a line above says how much changed
("12 lines added, 3 removed"). The diff itself comes from `hitl_desktop.core.notes_diff`.

The text is inserted as plain text with character formats, never parsed as HTML or Markdown:
whatever the model wrote shows as written.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QShowEvent, QTextCharFormat, QTextCursor, QTextDocument
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from hitl_desktop.core.notes_diff import Change, NotesDiff, diff_notes

# Light backgrounds with dark text of their own, readable whatever the palette.
_ADDED = (QColor("#d3f3da"), QColor("#0b3d1a"))
_REMOVED = (QColor("#fbdada"), QColor("#6b1111"))
_LEGEND = "Added text is highlighted green; removed text is struck through in red."


def change_format(change: Change) -> QTextCharFormat:
    """The character format a passage of this kind is shown in (same: the view's own)."""
    fmt = QTextCharFormat()
    if change is Change.SAME:
        return fmt
    background, foreground = _ADDED if change is Change.ADDED else _REMOVED
    fmt.setBackground(background)
    fmt.setForeground(foreground)
    fmt.setFontStrikeOut(change is Change.REMOVED)
    fmt.setToolTip("Added in this round" if change is Change.ADDED else "Removed in this round")
    return fmt


def fill_document(document: QTextDocument, diff: NotesDiff) -> int:
    """Write `diff` into `document`; returns the position of the first change (-1 if none)."""
    document.clear()
    cursor = QTextCursor(document)
    first_change = -1
    for passage in diff.passages:
        if passage.change is Change.SAME:
            cursor.insertText(passage.text, change_format(Change.SAME))
            continue
        if first_change < 0:
            first_change = cursor.position()
        # Highlight the words, not the blank lines after them.
        words = passage.text.rstrip()
        cursor.insertText(words, change_format(passage.change))
        cursor.insertText(passage.text[len(words):], change_format(Change.SAME))
    return first_change


class RoundDiff(QWidget):
    """The notes of this round against `previous_notes`, the ones the reviewer sent back."""

    def __init__(self, previous_notes: str, notes: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("roundDiff")
        self.summaryLabel = QLabel(self)
        self.summaryLabel.setObjectName("roundDiffSummary")
        self.summaryLabel.setWordWrap(True)
        self.summaryLabel.setTextFormat(Qt.TextFormat.RichText)  # our own words only
        self.view = QTextBrowser(self)
        self.view.setObjectName("roundDiffView")
        self.view.setOpenLinks(False)
        self.view.setReadOnly(True)
        self.view.setAccessibleName("Changes since the notes you sent back")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summaryLabel)
        layout.addWidget(self.view, 1)
        self._first_change = -1
        self._scrolled = False
        self.diff = diff_notes("", "")
        self.set_notes(previous_notes, notes)

    @property
    def summary(self) -> str:
        """The one-line summary, e.g. "12 lines added, 3 removed"."""
        return self.diff.summary

    def set_notes(self, previous_notes: str, notes: str) -> None:
        """Show the changes from `previous_notes` to `notes` (the notes may change while the
        dialog is open, if the reviewer edits them)."""
        self.diff = diff_notes(previous_notes, notes)
        if self.diff.changed:
            self.summaryLabel.setText(f"<b>Since the notes you sent back:</b> {self.diff.summary}. {_LEGEND}")
        else:
            self.summaryLabel.setText("<b>Since the notes you sent back:</b> no changes.")
        self.view.setAccessibleDescription(self.diff.summary)
        self._first_change = fill_document(self.view.document(), self.diff)
        self._scrolled = False
        if self.isVisible():
            self._scroll_to_first_change()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        if not self._scrolled:
            self._scroll_to_first_change()

    def _scroll_to_first_change(self) -> None:
        """Open on the first change, a little context above it."""
        self._scrolled = True
        cursor = QTextCursor(self.view.document())
        if self._first_change > 0:
            cursor.setPosition(self._first_change)
        self.view.setTextCursor(cursor)
        self.view.ensureCursorVisible()

"""ReportView: shows the report as rendered Markdown while it streams in.

Re-rendering the whole document for every token would be quadratic and flicker. Instead, text up
to the last finished block (a blank line outside a code fence) is rendered once and kept; only
the unfinished tail is re-rendered, at most once per frame. When the stream ends, the document is
rendered whole once more so lists and tables that spanned chunks come out exactly right.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QTimer
from PySide6.QtGui import QTextCursor
from PySide6.QtWidgets import QWidget

from hitl_desktop.ui.widgets.safe_markdown import DOCUMENT_MARGIN, SafeTextBrowser, insert_markdown

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_FLUSH_INTERVAL_MS = 40
_THROWAWAY = "\u2063\u2063"  # invisible separators: a paragraph that is inserted, then removed


def _fence_after(line: str, fence: str | None) -> str | None:
    """The open fence marker after `line`, given the one open before it (None: outside a fence).

    A fence is closed only by the same character at least as many times, with nothing but spaces
    after it, so a ``` line inside a ~~~ block is code, not the block's end."""
    match = _FENCE.match(line)
    if match is None:
        return fence
    marker = match.group(1)
    if fence is None:
        return marker
    closes = marker[0] == fence[0] and len(marker) >= len(fence) and not line[match.end():].strip()
    return None if closes else fence


def scan_finished_blocks(text: str, start: int, fence: str | None = None) -> tuple[int, str | None]:
    """Where the finished blocks of `text` end (never before `start`), and the fence open there.

    A block is finished by a blank line outside a code fence. `start` must be a line start with
    `fence` open at it; the text is scanned forward once from there, line by line."""
    end, end_fence = start, fence
    position = start
    while True:
        newline = text.find("\n", position)
        if newline == -1:  # an unfinished last line decides nothing yet
            return end, end_fence
        line = text[position:newline]
        if not line and position > start and fence is None:
            end, end_fence = newline + 1, None
        else:
            fence = _fence_after(line, fence)
        position = newline + 1


def stable_prefix_end(text: str, start: int, fence: str | None = None) -> int:
    """Where the finished blocks of `text` end (never before `start`): after the last blank line
    that is not inside an open code fence."""
    return scan_finished_blocks(text, start, fence)[0]


def fence_at_end(text: str) -> str | None:
    """The code fence still open after the last complete line of `text` (None if none)."""
    fence: str | None = None
    for line in text.split("\n")[:-1]:
        fence = _fence_after(line, fence)
    return fence


class ReportView(SafeTextBrowser):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportView")
        self.setPlaceholderText("The report appears here, as it is written, once you approve the research.")
        self._text = ""
        self._committed = 0      # characters of _text rendered as finished blocks
        # The code fence open at _committed; committed text never changes, so it is kept, not rescanned.
        self._committed_fence: str | None = None
        self._tail_position = 0  # document position where the unfinished tail starts
        self.document().setDocumentMargin(DOCUMENT_MARGIN)  # as a whole render has it, from the start
        self._flush_timer = QTimer(self, singleShot=True, interval=_FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)

    def markdown(self) -> str:
        return self._text

    def clear_report(self) -> None:
        self._flush_timer.stop()
        self._text = ""
        self._committed = 0
        self._committed_fence = None
        self._tail_position = 0
        self.clear()
        self.document().setDocumentMargin(DOCUMENT_MARGIN)

    def append_delta(self, delta: str) -> None:
        self._text += delta
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def show_report(self, markdown: str) -> None:
        """Render the complete report once (end of a stream, or a report loaded whole)."""
        self._flush_timer.stop()
        following = self._is_following()
        scroll = self.verticalScrollBar().value()
        self._text = markdown
        self.set_safe_markdown(markdown)
        self._committed = len(markdown)
        self._committed_fence = fence_at_end(markdown)
        self._tail_position = self._end_position()
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum() if following else scroll)

    def flush_now(self) -> None:
        self._flush_timer.stop()
        self._flush()

    def _flush(self) -> None:
        following = self._is_following()
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        cursor.setPosition(self._tail_position)
        cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
        cursor.removeSelectedText()
        finished_end, fence = scan_finished_blocks(self._text, self._committed, self._committed_fence)
        if finished_end > self._committed:
            self._insert_blocks(cursor, self._text[self._committed:finished_end])
            self._committed, self._committed_fence = finished_end, fence
            self._tail_position = cursor.position()
        self._insert_blocks(cursor, self._text[self._committed:])
        cursor.endEditBlock()
        if following:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())

    def _insert_blocks(self, cursor: QTextCursor, markdown: str) -> None:
        """Append `markdown` as blocks of their own. Qt gives a fragment's first block the format
        of the block it is inserted after (a paragraph after a list became a list item, a code
        block a bullet), so a throwaway first paragraph takes that and is then removed."""
        if not markdown.strip():
            return
        if cursor.position() == 0:
            insert_markdown(cursor, markdown)
            return
        start = cursor.position()
        insert_markdown(cursor, f"{_THROWAWAY}\n\n{markdown}")
        throwaway = self.document().find(_THROWAWAY, start)
        removed = QTextCursor(self.document())
        removed.setPosition(start)
        removed.setPosition(throwaway.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
        removed.removeSelectedText()

    def _is_following(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _end_position(self) -> int:
        cursor = QTextCursor(self.document())
        cursor.movePosition(QTextCursor.MoveOperation.End)
        return cursor.position()

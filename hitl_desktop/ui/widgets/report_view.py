"""ReportView: shows the report as rendered Markdown while it streams in.

Re-rendering the whole document for every token would be quadratic and flicker. Instead, text up
to the last finished block is rendered once and kept; only the unfinished tail is re-rendered, at
most every 40 ms (less often when that is slow). A block is finished where the text may be cut
without changing how it renders (`markdown_blocks.cuts`: a new top-level block after a blank
line, outside code, not continuing a list, away from Qt's quirks), so what streams is what the
finished report looks like: at the end only the last blocks are rendered. A report shown whole
(or a stream that had to be cut elsewhere) is rendered top down in steps between frames (see
`SafeTextBrowser.set_safe_markdown`). The view shows each table's first rows and a bounded
length (`markdown_blocks.for_view`); the report keeps all of it.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from typing import TYPE_CHECKING

from hitl_desktop.ui.widgets.safe_markdown import SafeTextBrowser

if TYPE_CHECKING:  # with the first text streamed (its patterns: 2-3 ms), not for the first frame
    from PySide6.QtGui import QTextCursor

    from hitl_desktop.ui.widgets.markdown_blocks import BlockScanner, Cut

# Said after what the report view leaves out of a report (a review's notes say only that it is left out).
SAVED_FILE_KEEPS_ALL = ": all kept in the saved file"

_DOCUMENT_MARGIN = 14  # as markdown_render renders a whole document
_FLUSH_INTERVAL_MS = 40
_MAX_FLUSH_INTERVAL_MS = 400
# An unfinished tail longer than this is committed at its last block start even where that is
# not a clean cut (a loose list of hundreds of items), so no flush re-renders more than this.
_LONG_TAIL_CHARS = 16_000


class StreamingMarkdownView(SafeTextBrowser):
    """Markdown that arrives in pieces (`append_delta`), shown as it grows; `show_report` ends it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._pieces: list[str] = []  # the text so far, joined when it is rendered
        self._length = 0
        self._committed = 0      # characters of the text rendered as finished blocks
        self._scanner: BlockScanner | None = None  # made when text first arrives
        self._cuts: list[Cut] = []  # block starts after _committed found so far
        self._capped = False     # the view shows no more of the text (see markdown_blocks.VIEW_MAX_CHARS)
        # Every finished block was rendered from a clean cut: the document is the whole render.
        self._clean = True
        self._tail_position = 0  # document position where the unfinished tail starts
        # The tail as last rendered, in two parts: up to the end of a table that is longer than
        # the view shows (more rows do not change it, so it is not rendered again), and the rest.
        self._tail_head: str | None = None
        self._tail_rest = ""
        self._rest_position = 0  # document position where the tail's rest starts
        self._flush_timer = QTimer(self, singleShot=True, interval=_FLUSH_INTERVAL_MS)
        self._flush_timer.timeout.connect(self._flush)
        self.document().setDocumentMargin(_DOCUMENT_MARGIN)

    def markdown(self) -> str:
        return self._text()

    def clear_report(self) -> None:
        self._flush_timer.stop()
        self.cancel_rendering()
        self._reset("")
        self.clear()
        self.document().setDocumentMargin(_DOCUMENT_MARGIN)

    def append_delta(self, delta: str) -> None:
        self._pieces.append(delta)
        self._length += len(delta)
        if not self._flush_timer.isActive():
            self._flush_timer.start()

    def show_report(self, markdown: str) -> None:
        """Show the complete report (end of a stream, or a report loaded whole) as it renders
        whole. When the stream was rendered at clean cuts only, the document already is that, up
        to its last block: only that is rendered. Otherwise (a report loaded whole, a long loose
        list, reference-style links) it is rendered again, top down in slices if long."""
        self._flush_timer.stop()
        if self._finish_stream(markdown):
            return
        following = self._is_following()
        scroll = self.verticalScrollBar().value()
        self._reset(markdown)
        self._committed = len(markdown)
        self.set_safe_markdown(markdown, then=lambda: self._shown_whole(following, scroll))

    def _finish_stream(self, markdown: str) -> bool:
        """Render the streamed text's last blocks as finished if the document is then the whole
        render of `markdown` (the stream's text, but for white space at its ends)."""
        from hitl_desktop.ui.widgets.markdown_blocks import (  # with the first text, not the first frame
            has_reference_definitions,
            renumbered_note,
            shown_piece,
            split_at_first_note,
        )

        text = self._text()
        if (self.is_rendering() or not self._clean or self._capped or not text.strip()
                or text.strip() != markdown.strip() or has_reference_definitions(markdown)):
            return False
        following = self._is_following()
        tail = shown_piece(text[self._committed:], self.kept_note)
        head, rest = split_at_first_note(tail)
        if head and head == self._tail_head:
            # The stream ends in a table longer than the view shows, already shown: at most the
            # count after it changed (rendering the table again: 50 ms and more of frozen window).
            counts = renumbered_note(self._tail_rest, rest)
            if rest != self._tail_rest and not (counts and self._renumber_note(*counts)):
                self._replace_from(self._rest_position, rest)
        else:
            self._replace_from(self._tail_position, tail)
        self._reset(markdown)
        self._committed = len(markdown)
        self._shown_whole(following, self.verticalScrollBar().value())
        self.rendered.emit()
        return True

    def _replace_from(self, position: int, markdown: str) -> None:
        """Render `markdown` in place of the document from `position` to its end."""
        from PySide6.QtGui import QTextCursor

        from hitl_desktop.ui.widgets.markdown_render import append_markdown

        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        _remove_from(cursor, position)
        append_markdown(cursor, markdown)
        cursor.endEditBlock()

    def flush_now(self) -> None:
        self._flush_timer.stop()
        if not self.is_rendering():
            self._flush()

    def _reset(self, text: str) -> None:
        self._pieces = [text] if text else []
        self._length = len(text)
        self._committed = 0
        self._scanner = None
        self._cuts = []
        self._capped = False
        self._clean = True
        self._tail_position = 0
        self._tail_head = None
        self._tail_rest = ""
        self._rest_position = 0

    def _text(self) -> str:
        if len(self._pieces) > 1:
            self._pieces = ["".join(self._pieces)]
        return self._pieces[0] if self._pieces else ""

    def _shown_whole(self, following: bool, scroll: int) -> None:
        self._tail_position = self._rest_position = self._end_position()
        self._tail_head, self._tail_rest = "", ""
        self.verticalScrollBar().setValue(self.verticalScrollBar().maximum() if following else scroll)

    def _flush(self) -> None:
        from PySide6.QtGui import QTextCursor  # these three: with the first text, not the first frame

        from hitl_desktop.ui.widgets.markdown_blocks import (
            BlockScanner,
            renumbered_note,
            shown_piece,
            split_at_first_note,
        )
        from hitl_desktop.ui.widgets.markdown_render import append_markdown

        started = time.perf_counter()
        text = self._text()
        if self._scanner is None:
            self._scanner = BlockScanner()
        self._cuts.extend(self._scanner.scan(text))
        commit_to = self._commit_point(len(text))
        head, rest = split_at_first_note(self._tail_markdown(text, commit_to))
        if commit_to == self._committed and head == self._tail_head and rest == self._tail_rest:
            return  # nothing new to show
        following = self._is_following()
        if commit_to == self._committed and head and head == self._tail_head:
            # More rows of a table longer than the view shows, and nothing after them yet: only
            # the count of rows not shown changes. Text rendered again right after a table makes
            # Qt lay out and paint the whole table again (about 30 ms for 300 cells); the count
            # changed in place is one line.
            counts = renumbered_note(self._tail_rest, rest)
            if counts is not None and self._renumber_note(*counts):
                self._tail_rest = rest
                if following:
                    self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
                return
        cursor = QTextCursor(self.document())
        cursor.beginEditBlock()
        if commit_to == self._committed and head and head == self._tail_head:
            # More rows of a table longer than the view shows: only what follows it changes.
            _remove_from(cursor, self._rest_position)
        else:
            _remove_from(cursor, self._tail_position)
        if commit_to > self._committed:
            append_markdown(cursor, shown_piece(text[self._committed:commit_to], self.kept_note))
            self._committed = commit_to
            self._cuts = [cut for cut in self._cuts if cut.position > commit_to]
            self._tail_position = cursor.position()
        if cursor.position() == self._tail_position:
            append_markdown(cursor, head)
            self._rest_position = cursor.position()
        append_markdown(cursor, rest)
        self._tail_head, self._tail_rest = head, rest
        cursor.endEditBlock()
        if following:
            self.verticalScrollBar().setValue(self.verticalScrollBar().maximum())
        # A tail that is slow to render (a long table) is rendered less often.
        took_ms = (time.perf_counter() - started) * 1000
        self._flush_timer.setInterval(int(min(max(_FLUSH_INTERVAL_MS, 4 * took_ms), _MAX_FLUSH_INTERVAL_MS)))

    def _renumber_note(self, shown: str, renumbered: str) -> bool:
        """Change the "more rows" note after the tail's capped table from `shown` to
        `renumbered`, in place; False if the document does not show `shown` there."""
        from PySide6.QtGui import QTextCursor

        block = self.document().findBlock(self._rest_position)
        while block.isValid() and not block.text():  # the empty block Qt keeps after a table
            block = block.next()
        if not block.isValid() or block.text() != shown:
            return False
        cursor = QTextCursor(block)
        cursor.movePosition(QTextCursor.MoveOperation.EndOfBlock, QTextCursor.MoveMode.KeepAnchor)
        cursor.insertText(renumbered, block.begin().fragment().charFormat())
        return True

    def _commit_point(self, length: int) -> int:
        """Where the finished blocks to render once end: the last block start where the text
        may be cut (so the view matches the finished report), or, when the unfinished tail has
        grown long, the last block start of any kind; at most the view's length cap."""
        from hitl_desktop.ui.widgets.markdown_blocks import VIEW_MAX_CHARS

        if self._capped:
            return self._committed
        if length > VIEW_MAX_CHARS:
            self._capped = True
            within = [cut.position for cut in self._cuts if cut.position <= VIEW_MAX_CHARS]
            return max([self._committed, *within])
        point = next((cut.position for cut in reversed(self._cuts) if cut.safe), self._committed)
        if self._cuts and length - point > _LONG_TAIL_CHARS:
            point = self._cuts[-1].position
            self._clean = self._clean and self._cuts[-1].safe
        return point

    def _tail_markdown(self, text: str, start: int) -> str:
        from hitl_desktop.ui.widgets.markdown_blocks import more_text_note, shown_piece

        if self._capped:
            return more_text_note(len(text) - start, self.kept_note)
        return shown_piece(text[start:], self.kept_note)

    def _is_following(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def _end_position(self) -> int:
        # Not a cursor moved to the end: outside an edit block that lays out the whole document.
        return self.document().characterCount() - 1


def _remove_from(cursor: QTextCursor, position: int) -> None:
    """Remove the document from `position` to its end, keeping the format of the block there: the
    empty block Qt keeps after a table took the next block's spacing when the rest went."""
    from PySide6.QtGui import QTextCursor

    kept = cursor.document().findBlock(position).blockFormat()
    cursor.setPosition(position)
    cursor.movePosition(QTextCursor.MoveOperation.End, QTextCursor.MoveMode.KeepAnchor)
    cursor.removeSelectedText()
    cursor.setBlockFormat(kept)


class ReportView(StreamingMarkdownView):
    kept_note = SAVED_FILE_KEEPS_ALL

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reportView")
        self.setPlaceholderText("The report appears here, as it is written, once you approve the research.")

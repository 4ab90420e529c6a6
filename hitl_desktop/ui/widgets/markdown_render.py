"""Rendering Markdown into a QTextDocument, safely: Qt's importer with raw HTML switched off,
links that are not web or mail addresses unlinked, and the spacing of a readable document.

Qt imports Markdown in one call and lays a table out as one unit, both holding the GUI thread, so
long text is rendered top down in steps of a few milliseconds (`MarkdownRender`, `render_steps`),
and a view shows a bounded amount of it (`markdown_blocks.for_view`).

Its own module, apart from the view (`safe_markdown.SafeTextBrowser`): its QtGui text classes and
their enums are loaded with the first text rendered, not for the window's first frame.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtGui import (
    QGuiApplication,
    QPalette,
    QTextBlock,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
    QTextTable,
)

from hitl_desktop.core.export.parsing import is_safe_link
from hitl_desktop.ui.widgets.markdown_blocks import cap_length, cap_nesting, cap_tables, slices

if TYPE_CHECKING:
    from PySide6.QtWidgets import QTextEdit

_Feature = QTextDocument.MarkdownFeature
MARKDOWN_FEATURES = _Feature(_Feature.MarkdownDialectGitHub.value | _Feature.MarkdownNoHTML.value)

_HEADING_SPACE_ABOVE = {1: 4, 2: 16, 3: 12}
_PARAGRAPH_SPACE_BELOW = 8
_LINE_HEIGHT_PERCENT = 125


DOCUMENT_MARGIN = 14
_THROWAWAY = "\u2063\u2063"  # invisible separators: a paragraph that is inserted, then removed
# Markdown up to this size is rendered at once (a few milliseconds); longer text in slices.
_RENDER_AT_ONCE_CHARS = 4_000
_STEP_BUDGET_S = 0.008  # per turn of the event loop while rendering in slices
_POLISH_BATCH = 300     # blocks polished per step


def set_markdown(document: QTextDocument, markdown: str) -> None:
    """Render `markdown` into `document` at once (its whole text, uncapped)."""
    document.setMarkdown(markdown, MARKDOWN_FEATURES)
    document.setDocumentMargin(DOCUMENT_MARGIN)
    unlink_unsafe(document, 0)
    polish_blocks(document, 0)


def append_markdown(cursor: QTextCursor, markdown: str, *, polish: bool = True) -> int:
    """Insert `markdown` at `cursor` (the document's end) as blocks of their own; returns the
    position where they start. Qt gives a fragment's first block the format of the block it is
    inserted after (a paragraph after a list became a list item, a code block a bullet), so a
    throwaway first paragraph takes that and is then removed."""
    document = cursor.document()
    start = cursor.position()
    if not markdown.strip():
        return start
    if start == 0:
        cursor.insertMarkdown(markdown, MARKDOWN_FEATURES)
    else:
        cursor.insertMarkdown(f"{_THROWAWAY}\n\n{markdown}", MARKDOWN_FEATURES)
        throwaway = document.find(_THROWAWAY, start)
        removed = QTextCursor(document)
        removed.setPosition(start)
        removed.setPosition(throwaway.selectionEnd(), QTextCursor.MoveMode.KeepAnchor)
        removed.removeSelectedText()
    unlink_unsafe(document, start)
    if polish:
        # From the block before: whether a code block ends there depends on what follows it.
        polish_blocks(document, max(0, start - 1))
    return start


def unlink_unsafe(document: QTextDocument, from_position: int) -> None:
    """Turn links that are not web or mail addresses back into their Markdown text (unlinked)."""
    links: list[list] = []  # [position, end, text, href]: one per link (its runs merged)
    block = document.findBlock(from_position)
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fragment = fragments.fragment()
            fmt = fragment.charFormat()
            href = fmt.anchorHref()
            if fmt.isAnchor() and href and not is_safe_link(href):
                if links and links[-1][1] == fragment.position() and links[-1][3] == href:
                    links[-1][1] += fragment.length()  # the same link, another run (bold, say)
                    links[-1][2] += fragment.text()
                else:
                    links.append([fragment.position(), fragment.position() + fragment.length(),
                                  fragment.text(), href])
            fragments += 1
        block = block.next()
    cursor = QTextCursor(document)
    for position, end, text, href in reversed(links):  # from the end: positions stay valid
        shown = text if text == href else f"[{text}]({href})"
        cursor.setPosition(position)
        cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
        plain = cursor.charFormat()
        plain.setAnchor(False)
        plain.setAnchorHref("")
        plain.clearForeground()
        plain.setFontUnderline(False)
        cursor.insertText(shown, plain)


def polish_blocks(document: QTextDocument, from_position: int) -> None:
    """Give Qt's tightly packed Markdown blocks the spacing of a readable document."""
    block = document.findBlock(from_position)
    while block.isValid():
        block = _polish_some(document, block, 1 << 30)


def _polish_some(document: QTextDocument, block: QTextBlock, count: int) -> QTextBlock:
    """Polish up to `count` blocks from `block`; returns the next block to polish (or an invalid one).

    One edit block: in a document a view shows, each format change would otherwise lay out the
    table or list around it again (minutes for a long table)."""
    cursor = QTextCursor(document)
    cursor.beginEditBlock()
    palette = QGuiApplication.palette()
    code_background = palette.color(QPalette.ColorRole.AlternateBase)
    table_index = -1  # the table the last block was in
    while block.isValid() and count > 0:
        # A cell's block has the cell's format, which names its table. (Not the cursor's
        # currentTable(): inside a caller's edit block Qt has not yet found the frames inserted.)
        cell_format = block.charFormat()
        if cell_format.isTableCellFormat() and cell_format.objectIndex() != table_index:
            table_index = cell_format.objectIndex()
            table = document.object(table_index)
            if isinstance(table, QTextTable):
                _draw_lines_between_cells(table, palette)
        fmt = block.blockFormat()
        level = fmt.headingLevel()
        if _is_code(block):
            # One shaded box: no gaps between its lines, space after its last.
            fmt.setBackground(code_background)
            fmt.setTopMargin(0)
            fmt.setBottomMargin(0 if _is_code(block.next()) else _PARAGRAPH_SPACE_BELOW)
        elif level:
            fmt.setTopMargin(_HEADING_SPACE_ABOVE.get(level, 10))
            fmt.setBottomMargin(4)
        elif block.textList() is not None:
            fmt.setBottomMargin(2)
        else:
            fmt.setBottomMargin(_PARAGRAPH_SPACE_BELOW)
        if not _is_code(block):  # code keeps single spacing: its shading has no stripes
            fmt.setLineHeight(_LINE_HEIGHT_PERCENT, QTextBlockFormat.LineHeightTypes.ProportionalHeight.value)
        cursor.setPosition(block.position())
        cursor.setBlockFormat(fmt)
        block = block.next()
        count -= 1
    cursor.endEditBlock()
    return block


def _draw_lines_between_cells(table: QTextTable, palette: QPalette) -> None:
    """Draw `table`'s grid as its background showing through 1 px between opaque cells, not as
    the collapsed cell borders Qt's importer gives it: the same lines, four to five times faster
    to paint and half the layout (a 50-row table: 19 -> 3.5 ms painted, 12-17 -> 6-9 ms laid out).
    The PDF draws its tables the same way."""
    fmt = table.format()
    if not fmt.borderCollapse():
        return  # done when an earlier step polished the table's first rows
    fmt.setBorderCollapse(False)
    fmt.setBorder(0)
    fmt.setCellSpacing(1)
    fmt.setBackground(palette.color(QPalette.ColorRole.Mid))
    table.setFormat(fmt)
    cell_background = palette.color(QPalette.ColorRole.Base)
    for row in range(table.rows()):
        for column in range(table.columns()):
            cell = table.cellAt(row, column)
            cell_format = cell.format()
            cell_format.setBackground(cell_background)
            cell.setFormat(cell_format)


def render_steps(document: QTextDocument, markdown: str) -> Iterator[None]:
    """Render `markdown` at the end of `document` a slice at a time, yielding after each step (a
    slice inserted and polished, or a further batch of its blocks polished): from empty, the same
    document as `set_markdown`. Each step is one edit block, so a view lays it out once."""
    document.setDocumentMargin(14)
    cursor = QTextCursor(document)
    cursor.movePosition(QTextCursor.MoveOperation.End)
    for piece in slices(markdown):
        cursor.beginEditBlock()
        start = append_markdown(cursor, piece, polish=False)
        block = _polish_some(document, document.findBlock(max(0, start - 1)), _POLISH_BATCH)
        cursor.endEditBlock()
        yield
        while block.isValid():
            block = _polish_some(document, block, _POLISH_BATCH)
            yield


def _is_code(block: QTextBlock) -> bool:
    """A line of a fenced or indented code block, as Qt's Markdown importer marks it."""
    return block.isValid() and (block.blockFormat().hasProperty(QTextFormat.Property.BlockCodeFence)
                                or block.charFormat().fontFixedPitch())


class MarkdownRender:
    """Renders `markdown` into `view`'s document (emptied first) in steps of a few milliseconds on
    the UI loop, at once when it is short, then calls `done`. Qt lays each step out as it is added,
    so no step lays out more than it added: a new document shown whole would be laid out lazily
    in steps of up to 200,000 characters (130 ms measured)."""

    def __init__(self, view: QTextEdit, markdown: str, kept: str, done: Callable[[], None]) -> None:
        self._steps = self._render(view.document(), markdown, kept)
        self._done = done
        self._at_once = len(markdown) <= _RENDER_AT_ONCE_CHARS
        self.finished = False
        self._cancelled = False
        # A timer, not QTimer.singleShot(0, …): that posts an event, which Qt handles before
        # expired timers, so consecutive steps would starve every other timer of the window.
        self._timer = QTimer(view, singleShot=True, interval=0)
        self._timer.timeout.connect(self._run)

    def start(self) -> None:
        self._run()

    def finish_now(self) -> None:
        """Render the rest at once (a caller that needs the document now)."""
        self._at_once = True
        self._run()

    def cancel(self) -> None:
        if not self.finished and not self._cancelled:
            self._cancelled = True
            self._steps.close()
            self._end()

    def _end(self) -> None:
        self._timer.stop()
        self._timer.deleteLater()

    @staticmethod
    def _render(document: QTextDocument, markdown: str, kept: str) -> Iterator[None]:
        # markdown_blocks.for_view, a step at a time: each takes milliseconds a megabyte.
        shown = cap_tables(markdown, kept=kept)
        yield
        shown = cap_nesting(shown)
        yield
        shown = cap_length(shown, kept=kept)
        yield
        document.clear()
        yield from render_steps(document, shown)

    def _run(self) -> None:
        if self.finished or self._cancelled:
            return
        deadline = time.perf_counter() + _STEP_BUDGET_S
        for _ in self._steps:
            if not self._at_once and time.perf_counter() >= deadline:
                self._timer.start()  # a child of the view: if the view is gone, nothing runs
                return
        self.finished = True
        self._end()
        self._done()

"""Rendering model-written Markdown safely inside the app.

Qt's Markdown importer, given a raw `<script>`, silently drops everything after it, and raw HTML
could pull remote images. We render the GitHub dialect with raw HTML switched off (tags show as
text), and views refuse to load anything that is not a local resource. A link to anything but a
web or mail address (javascript:, data:, file:) is shown as its Markdown text, as the exports
show it, never as a link.
"""

from __future__ import annotations

from PySide6.QtCore import QUrl
from PySide6.QtGui import (
    QDesktopServices,
    QGuiApplication,
    QPalette,
    QTextBlock,
    QTextBlockFormat,
    QTextCursor,
    QTextDocument,
    QTextFormat,
)
from PySide6.QtWidgets import QTextBrowser, QWidget

_Feature = QTextDocument.MarkdownFeature
MARKDOWN_FEATURES = _Feature(_Feature.MarkdownDialectGitHub.value | _Feature.MarkdownNoHTML.value)

_EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})


_HEADING_SPACE_ABOVE = {1: 4, 2: 16, 3: 12}
_PARAGRAPH_SPACE_BELOW = 8
_LINE_HEIGHT_PERCENT = 125


DOCUMENT_MARGIN = 14


def set_markdown(document: QTextDocument, markdown: str) -> None:
    document.setMarkdown(markdown, MARKDOWN_FEATURES)
    document.setDocumentMargin(DOCUMENT_MARGIN)
    unlink_unsafe(document, 0)
    polish_blocks(document, 0)


def insert_markdown(cursor: QTextCursor, markdown: str) -> None:
    start = cursor.position()
    cursor.insertMarkdown(markdown, MARKDOWN_FEATURES)
    unlink_unsafe(cursor.document(), start)
    polish_blocks(cursor.document(), start)


def unlink_unsafe(document: QTextDocument, from_position: int) -> None:
    """Turn links that are not web or mail addresses back into their Markdown text (unlinked)."""
    from hitl_desktop.core.export.parsing import is_safe_link

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
    cursor = QTextCursor(document)
    code_background = QGuiApplication.palette().color(QPalette.ColorRole.AlternateBase)
    block = document.findBlock(from_position)
    while block.isValid():
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


def _is_code(block: QTextBlock) -> bool:
    """A line of a fenced or indented code block, as Qt's Markdown importer marks it."""
    return block.isValid() and (block.blockFormat().hasProperty(QTextFormat.Property.BlockCodeFence)
                                or block.charFormat().fontFixedPitch())


def _must_not_load(url: QUrl) -> bool:
    """Model output may name any URL; only Qt's own embedded resources are ever loaded."""
    return url.scheme().lower() not in ("qrc", "data")


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that never fetches remote resources and opens web links in the browser."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._open_link)

    def loadResource(self, resource_type: int, url: QUrl) -> object:  # noqa: N802 (Qt override)
        return None if _must_not_load(url) else super().loadResource(resource_type, url)

    def set_safe_markdown(self, markdown: str) -> None:
        """Show `markdown` from its top: a reader starts at the beginning."""
        set_markdown(self.document(), markdown)
        self.moveCursor(QTextCursor.MoveOperation.Start)
        self.verticalScrollBar().setValue(0)

    @staticmethod
    def _open_link(url: QUrl) -> None:
        if url.scheme().lower() in _EXTERNAL_SCHEMES:
            QDesktopServices.openUrl(url)


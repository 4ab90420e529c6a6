"""Showing model-written Markdown safely inside the app.

Qt's Markdown importer, given a raw `<script>`, silently drops everything after it, and raw HTML
could pull remote images. We render the GitHub dialect with raw HTML switched off (tags show as
text; see `markdown_render`), and views refuse to load anything that is not a local resource. A
link to anything but a web or mail address (javascript:, data:, file:) is shown as its Markdown
text, as the exports show it, never as a link.

A view renders long text top down in steps of a few milliseconds (`markdown_render.MarkdownRender`),
and shows a bounded amount of it (`markdown_blocks.for_view`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QTextBrowser, QWidget

from hitl_desktop.ui.widgets.qt_enums import set_enum

if TYPE_CHECKING:  # loaded with the first text shown: the window's first frame shows none
    from PySide6.QtCore import QUrl

    from hitl_desktop.ui.widgets.markdown_render import MarkdownRender

_EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto"})


def _must_not_load(url: QUrl) -> bool:
    """Model output may name any URL; only Qt's own embedded resources are ever loaded."""
    return url.scheme().lower() not in ("qrc", "data")


class SafeTextBrowser(QTextBrowser):
    """A QTextBrowser that never fetches remote resources and opens web links in the browser."""

    rendered = Signal()  # what the last set_safe_markdown asked for is shown
    # Ends the lines saying what the view leaves out of a long text (see markdown_blocks.for_view).
    kept_note = ""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self._open_link)
        # Long text is laid out once: with the scroll bar shown only as needed, showing it
        # lays everything out again at the narrower width (a long table three times).
        set_enum(self, "verticalScrollBarPolicy", "ScrollBarAlwaysOn")
        self._render: MarkdownRender | None = None

    def loadResource(self, resource_type: int, url: QUrl) -> object:  # noqa: N802 (Qt override)
        return None if _must_not_load(url) else super().loadResource(resource_type, url)

    def set_safe_markdown(self, markdown: str, then: Callable[[], None] | None = None) -> None:
        """Show `markdown` from its top (a reader starts at the beginning), or call `then`
        once it is shown instead. What is shown is capped (see `markdown_blocks.for_view`).

        Short text is shown at once; long text is rendered top down in slices between frames
        (`is_rendering` until `rendered`)."""
        from hitl_desktop.ui.widgets.markdown_render import MarkdownRender

        self.cancel_rendering()
        render = MarkdownRender(self, markdown, self.kept_note, lambda: self._rendered(render, then))
        self._render = render
        render.start()

    def is_rendering(self) -> bool:
        return self._render is not None

    def finish_rendering(self) -> None:
        """Complete a rendering in progress at once."""
        if self._render is not None:
            self._render.finish_now()

    def cancel_rendering(self) -> None:
        if self._render is not None:
            self._render.cancel()
            self._render = None

    def _rendered(self, render: MarkdownRender, then: Callable[[], None] | None) -> None:
        if self._render is not render:
            return
        self._render = None
        if then is not None:
            then()
        else:
            from PySide6.QtGui import QTextCursor

            self.moveCursor(QTextCursor.MoveOperation.Start)
            self.verticalScrollBar().setValue(0)
        self.rendered.emit()

    @staticmethod
    def _open_link(url: QUrl) -> None:
        if url.scheme().lower() in _EXTERNAL_SCHEMES:
            from PySide6.QtGui import QDesktopServices

            QDesktopServices.openUrl(url)


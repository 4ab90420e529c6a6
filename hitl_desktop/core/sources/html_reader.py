"""HTML files: the visible text, split at block elements, located by the h1–h6 outline."""

from __future__ import annotations

from html.parser import HTMLParser

from hitl_desktop.core.sources.parsed import Block, Outline, ParsedDocument, normalise_space

# Elements whose text is not shown as prose. (Not <head>: its end tag is optional, and its own
# text, the <title>, is handled apart.)
_INVISIBLE = {"script", "style", "noscript", "template", "svg", "math", "iframe", "object",
              "canvas", "select"}
_BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "br", "tr", "table", "section",
          "article", "blockquote", "pre", "hr", "header", "footer", "nav", "main", "aside",
          "figure", "figcaption", "form", "fieldset", "details", "summary", "address", "body",
          "caption", "thead", "tbody", "tfoot"}
_CELL = {"td", "th"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline = Outline()
        self.blocks: list[Block] = []
        self.page_title = ""
        self._hidden: list[str] = []
        self._in_title = False
        self._heading: tuple[int, list[str]] | None = None
        self._text: list[str] = []

    def _flush(self) -> None:
        joined = normalise_space(" ".join(self._text))
        self._text = []
        if joined:
            self.blocks.append(Block(self.outline.location, joined))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self._hidden:
            self._in_title = True
            return
        if tag in _INVISIBLE:
            self._hidden.append(tag)
            return
        if self._hidden:
            return
        if tag in _HEADINGS:
            self._flush()
            self._heading = (_HEADINGS[tag], [])
        elif tag in _BLOCK:
            self._flush()
        elif tag in _CELL:
            self._text.append(" | " if self._text else "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK and not self._hidden:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _INVISIBLE:
            if tag in self._hidden:  # close up to the matching opener (HTML is often unbalanced)
                while self._hidden and self._hidden.pop() != tag:
                    pass
            return
        if self._hidden:
            return
        if tag in _HEADINGS and self._heading is not None:
            level, parts = self._heading
            self._heading = None
            self.outline.enter(level, " ".join(parts))
        elif tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page_title += data
            return
        if self._hidden:
            return
        if self._heading is not None:
            self._heading[1].append(data)
        else:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def read_html(text: str) -> ParsedDocument:
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    title = parser.outline.title or normalise_space(parser.page_title) or None
    return ParsedDocument(title, parser.blocks)

"""The report's Markdown tokens as the body of a Word document: paragraphs, runs, links, lists,
code blocks and tables, written as WordprocessingML text and parsed once.

Building the body element by element through python-docx took 1.7 s of a 300-page report's
2 s (each element made, looked up and put in schema order one call at a time). Written as text,
the same XML takes a tenth of that; python-docx still makes the document around it (styles,
numbering, relationships, the package) and saves it.

The XML written is what python-docx's own calls made for the same reports, byte for byte (checked
on every test report and the 293-page benchmark report when the writer changed), so every reader
that opened the files before still opens them. One difference, a fix: a link in a table's header
row is bold like the rest of the row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from xml.sax.saxutils import escape

from docx.oxml.ns import nsdecls
from docx.shared import Emu, Length
from lxml import etree
from markdown_it.token import Token

from hitl_desktop.core.export.docx_document import EMOJI, EMOJI_SPLIT
from hitl_desktop.core.export.parsing import is_rtl, read_table

# What each block needs from the document it goes into, by style name.
STYLE_NAMES = ("List Bullet", "List Bullet 2", "List Bullet 3", "List Number", "List Number 2",
               "List Number 3", "List Continue", "List Continue 2", "List Continue 3", "Quote",
               "Code Block", "Inline Code", "Hyperlink", "Table Grid",
               *(f"Heading {level}" for level in range(1, 7)))

_NAMESPACES = nsdecls("w", "r")
_HR_PROPERTIES = ('<w:pPr><w:pBdr><w:bottom w:val="single" w:sz="6" w:space="4" w:color="C9CED6"/>'
                  "</w:pBdr></w:pPr>")
_HEADER_CELL_SHADING = '<w:shd w:val="clear" w:color="auto" w:fill="E9EDF2"/>'
_EMOJI_FONT = '<w:rFonts w:ascii="Segoe UI Emoji" w:hAnsi="Segoe UI Emoji"/>'
_AFTER_TABLE = '<w:p><w:pPr><w:spacing w:after="0"/></w:pPr></w:p>'


@dataclass(frozen=True)
class BodyContext:
    """What the writer asks of the document: style ids by name (None for a type's default style),
    the width tables span, a relationship id for a link target, a numbering for an ordered list."""

    style_ids: dict[str, str | None]
    block_width: Length
    link_id: Callable[[str], str]
    new_numbering: Callable[[str, int], int | None]


def body_elements(tokens: list[Token], context: BodyContext) -> list[etree._Element]:
    """The block elements (w:p, w:tbl) for `tokens`, in order, ready to go into w:body."""
    writer = _BodyWriter(context)
    writer.write(tokens)
    xml = f"<w:body {_NAMESPACES}>{''.join(writer.parts)}</w:body>".encode()
    # No blank-text removal: a run's text may be nothing but spaces.
    return list(etree.fromstring(xml, etree.XMLParser(resolve_entities=False, huge_tree=True)))


def _text(text: str) -> str:
    # What python-docx's add_t writes: spaces kept only where the text starts or ends with one.
    if len(text.strip()) < len(text):
        return f'<w:t xml:space="preserve">{escape(text)}</w:t>'
    return f"<w:t>{escape(text)}</w:t>"


def _run_content(text: str) -> str:
    """`text` as python-docx's run.text writes it: tabs and line breaks as elements of their own."""
    if "\t" not in text and "\n" not in text and "\r" not in text:
        return _text(text) if text else ""
    parts: list[str] = []
    pending: list[str] = []
    for char in text:
        if char == "\t" or char in "\r\n":
            if pending:
                parts.append(_text("".join(pending)))
                pending.clear()
            parts.append("<w:tab/>" if char == "\t" else "<w:br/>")
        else:
            pending.append(char)
    if pending:
        parts.append(_text("".join(pending)))
    return "".join(parts)


@dataclass
class _List:
    ordered: bool
    num_id: int | None = None
    paragraphs_in_item: int = 0


@dataclass
class _Inline:
    bold: int = 0
    italic: int = 0
    strike: int = 0
    link: list[str] | None = None  # the runs of the open link, if any


class _BodyWriter:
    def __init__(self, context: BodyContext) -> None:
        self.context = context
        self.styles = context.style_ids
        self.parts: list[str] = []
        self.lists: list[_List] = []
        self.quote_depth = 0

    def write(self, tokens: list[Token]) -> None:
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index)

    def _block(self, tokens: list[Token], index: int) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            self._paragraph(self.styles[f"Heading {token.tag[1]}"], tokens[index + 1])
            return index + 3
        if kind == "paragraph_open":
            self._paragraph(self._paragraph_style(), tokens[index + 1])
            return index + 3
        if kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            num_id = None
            if ordered:
                start = int(token.attrGet("start") or 1)
                num_id = self.context.new_numbering(_list_style(True, len(self.lists) + 1), start)
            self.lists.append(_List(ordered, num_id))
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
        elif kind == "list_item_open":
            self.lists[-1].paragraphs_in_item = 0
        elif kind == "blockquote_open":
            self.quote_depth += 1
        elif kind == "blockquote_close":
            self.quote_depth -= 1
        elif kind in ("fence", "code_block"):
            self._code(token.content)
        elif kind == "hr":
            self.parts.append(f"<w:p>{_HR_PROPERTIES}</w:p>")
        elif kind == "table_open":
            return self._table(tokens, index)
        return index + 1

    # ----- paragraphs

    def _paragraph_style(self) -> str | None:
        if self.lists:
            current = self.lists[-1]
            current.paragraphs_in_item += 1
            depth = min(len(self.lists), 3)
            if current.paragraphs_in_item == 1:
                return self.styles[_list_style(current.ordered, depth)]
            return self.styles["List Continue" if depth == 1 else f"List Continue {depth}"]
        return self.styles["Quote"] if self.quote_depth else None

    def _paragraph(self, style_id: str | None, inline: Token) -> None:
        properties = []
        if style_id is not None:
            properties.append(f'<w:pStyle w:val="{escape(style_id)}"/>')
        current = self.lists[-1] if self.lists else None
        if current is not None and current.ordered and current.paragraphs_in_item == 1 \
                and current.num_id is not None:
            properties.append(f'<w:numPr><w:ilvl w:val="0"/><w:numId w:val="{current.num_id}"/></w:numPr>')
        if is_rtl(inline.content):
            properties.append("<w:bidi/>")
        self.parts.append(f"<w:p><w:pPr>{''.join(properties)}</w:pPr>" if properties else "<w:p>")
        self.parts.append(self._runs(inline.children or []))
        self.parts.append("</w:p>")

    def _runs(self, children: list[Token], *, bold: bool = False) -> str:
        out: list[str] = []
        state = _Inline(bold=int(bold))
        for child in children:
            kind = child.type
            if kind == "text":
                self._run(out, child.content, state)
            elif kind == "code_inline":
                self._run(out, child.content, state, code=True)
            elif kind == "softbreak":
                self._run(out, " ", state)
            elif kind == "hardbreak":
                self._run_of(out, "", state, tail="<w:br/>")
            elif kind == "strong_open":
                state.bold += 1
            elif kind == "strong_close":
                state.bold -= 1
            elif kind == "em_open":
                state.italic += 1
            elif kind == "em_close":
                state.italic -= 1
            elif kind == "s_open":
                state.strike += 1
            elif kind == "s_close":
                state.strike -= 1
            elif kind == "link_open":
                self._open_link(out, str(child.attrGet("href") or ""), state)
            elif kind == "link_close":
                self._close_link(out, state)
            elif kind == "image":
                # Never embedded or fetched: a link to the image, like the HTML export.
                self._open_link(out, str(child.attrGet("src") or ""), state)
                self._run(out, f"[Image: {child.content or 'image'}]", state)
                self._close_link(out, state)
        self._close_link(out, state)
        return "".join(out)

    def _run(self, out: list[str], text: str, state: _Inline, *, code: bool = False) -> None:
        if EMOJI.search(text):
            # Emoji get runs of their own in an emoji font; mixed into one run with CJK text,
            # LibreOffice draws the whole run with the emoji font and shows empty boxes.
            for part in EMOJI_SPLIT.split(text):
                if part:
                    self._run_of(out, part, state, code=code, emoji=bool(EMOJI.match(part)))
            return
        self._run_of(out, text, state, code=code)

    def _run_of(self, out: list[str], text: str, state: _Inline, *, code: bool = False,
                emoji: bool = False, tail: str = "") -> None:
        # Run properties in the schema's order: style, fonts, bold, italic, strike.
        properties = []
        if code:
            properties.append(f'<w:rStyle w:val="{escape(self.styles["Inline Code"] or "")}"/>')
        elif state.link is not None:
            properties.append(f'<w:rStyle w:val="{escape(self.styles["Hyperlink"] or "")}"/>')
        if emoji:
            properties.append(_EMOJI_FONT)
        if state.bold:
            properties.append("<w:b/>")
        if state.italic:
            properties.append("<w:i/>")
        if state.strike:
            properties.append("<w:strike/>")
        content = _run_content(text) + tail
        opening = f"<w:r><w:rPr>{''.join(properties)}</w:rPr>" if properties else "<w:r>"
        run = f"{opening}{content}</w:r>" if (properties or content) else "<w:r/>"
        (state.link if state.link is not None else out).append(run)

    def _open_link(self, out: list[str], url: str, state: _Inline) -> None:
        self._close_link(out, state)
        if url and not url.startswith("#"):  # in-document anchors have no bookmark in Word
            state.link = [f'<w:hyperlink r:id="{escape(self.context.link_id(url))}" w:history="1">']

    @staticmethod
    def _close_link(out: list[str], state: _Inline) -> None:
        if state.link is None:
            return
        runs = state.link
        out.append("".join(runs) + "</w:hyperlink>" if len(runs) > 1 else runs[0][:-1] + "/>")
        state.link = None

    def _code(self, content: str) -> None:
        lines = content.rstrip("\n").split("\n")
        runs = []
        for number, line in enumerate(lines):
            text = _run_content(line.replace("\t", "    "))
            brk = "<w:br/>" if number < len(lines) - 1 else ""
            runs.append(f"<w:r>{text}{brk}</w:r>" if text or brk else "<w:r/>")
        style = escape(self.styles["Code Block"] or "")
        self.parts.append(f'<w:p><w:pPr><w:pStyle w:val="{style}"/></w:pPr>{"".join(runs)}</w:p>')

    # ----- tables

    def _table(self, tokens: list[Token], index: int) -> int:
        parsed = read_table(tokens, index)
        rows, header_rows, columns = parsed.rows, parsed.header_rows, parsed.columns
        if not columns:
            return parsed.end
        twips = Emu(self.context.block_width // columns).twips
        grid = f'<w:gridCol w:w="{twips}"/>' * columns
        width = f'<w:tcW w:type="dxa" w:w="{twips}"/>'
        style = escape(self.styles["Table Grid"] or "")
        out = [f'<w:tbl><w:tblPr><w:tblStyle w:val="{style}"/><w:tblW w:type="auto" w:w="0"/>'
               '<w:jc w:val="center"/><w:tblCellMar><w:top w:w="40" w:type="dxa"/>'
               '<w:left w:w="100" w:type="dxa"/><w:bottom w:w="40" w:type="dxa"/>'
               '<w:right w:w="100" w:type="dxa"/></w:tblCellMar>'
               '<w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" w:lastRow="0" '
               'w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr>'
               f"<w:tblGrid>{grid}</w:tblGrid>"]
        for row_number, cells in enumerate(rows):
            out.append('<w:tr><w:trPr><w:tblHeader w:val="true"/></w:trPr>'
                       if row_number < header_rows else "<w:tr>")
            for cell in cells:
                shading = _HEADER_CELL_SHADING if cell.header else ""
                bidi = "<w:bidi/>" if is_rtl(cell.inline.content) else ""
                align = f'<w:jc w:val="{cell.align}"/>' if cell.align else ""
                out.append(f"<w:tc><w:tcPr>{width}{shading}</w:tcPr><w:p><w:pPr>{bidi}"
                           f'<w:spacing w:after="0"/>{align}</w:pPr>'
                           f"{self._runs(cell.inline.children or [], bold=cell.header)}</w:p></w:tc>")
            # A row with fewer cells than the table keeps empty ones, as Word expects.
            out.append(f"<w:tc><w:tcPr>{width}</w:tcPr><w:p/></w:tc>" * (columns - len(cells)))
            out.append("</w:tr>")
        out.append("</w:tbl>")
        out.append(_AFTER_TABLE)
        self.parts.append("".join(out))
        return parsed.end


def _list_style(ordered: bool, depth: int) -> str:
    depth = min(depth, 3)
    return f"List {'Number' if ordered else 'Bullet'}{'' if depth == 1 else f' {depth}'}"

"""Word export through python-docx: real heading and list styles, tables, links and code blocks.

Walks the tokens of the shared Markdown parser, so Word shows the same structure as HTML and PDF:
headings use Word's "Heading n" styles (the navigation pane and a table of contents work),
lists use "List Bullet"/"List Number" (numbering restarts for every list), links are real
w:hyperlink elements, and code blocks use a monospace "Code Block" style. The page, styles and
properties around the report are set up in `docx_document`; the raw XML python-docx has no call
for is written by `docx_xml`.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from docx.oxml.table import CT_Tbl
from docx.table import Table
from docx.text.paragraph import Paragraph
from markdown_it.token import Token

from hitl_desktop.core.export.appendix import appendix_markdown
from hitl_desktop.core.export.docx_document import (
    EMOJI,
    EMOJI_CHARS,
    add_footer,
    add_provenance,
    set_properties,
    set_up_page,
    set_up_styles,
)
from hitl_desktop.core.export.docx_xml import (
    AFTER_CELL_SHADING,
    bottom_border,
    cell_paragraph_properties,
    pad_cells,
    repeat_as_header,
    set_bidi,
    set_numbering,
    shade,
    style_id,
)
from hitl_desktop.core.export.page import default_page_size
from hitl_desktop.core.export.parsing import is_rtl, parse, read_table, report_title
from hitl_desktop.core.models import Report

_EMOJI_SPLIT = re.compile(f"([{EMOJI_CHARS}]+)")


def render_docx(report: Report, *, page_size: str | None = None, provenance: bool = True) -> bytes:
    """The report as a Word file. With `provenance` on, a line under the title says where it came
    from, an appendix how it was made (when the report carries that), and the document
    properties say both; with it off, the properties keep only the title and topic."""
    document = Document()
    set_up_page(document, page_size or default_page_size())
    set_up_styles(document)
    set_properties(document, report, provenance=provenance)
    if provenance:
        add_provenance(document, report)
    add_footer(document, report_title(report))
    _DocxWriter(document).write(parse(report.markdown))
    if provenance and report.provenance is not None:
        bottom_border(document.add_paragraph()._p.get_or_add_pPr())
        _DocxWriter(document).write(parse(appendix_markdown(report.provenance)))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


# ----- the token walk -----------------------------------------------------------------------


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
    link: object | None = None  # the open <w:hyperlink> element, if any
    stack: list[str] = field(default_factory=list)


class _DocxWriter:
    """Writes the tokens into `document`, making the XML python-docx's own calls make, faster
    (profiled on a 300-page report, 2.6 s before):
    - styles are given by id, looked up once: `style=` resolves each again, first comparing it
      with its type's default style, found by reading every style in the document (1 ms each);
    - paragraphs and tables go straight before the body's closing section properties: python-docx
      finds those by scanning the whole body first, for every paragraph;
    - a run's plain text goes into one w:t at once, not character by character;
    - each link target gets its relationship once (python-docx scans every one to find it)."""

    def __init__(self, document: DocxDocument) -> None:
        self.document = document
        self.lists: list[_List] = []
        self.quote_depth = 0
        self._body = document._body  # noqa: SLF001 (the container its paragraphs and tables have)
        self._block_width = document._block_width  # noqa: SLF001 (the same for every table)
        self._end = document.element.body.sectPr  # body content goes before this
        self._links: dict[str, str] = {}
        self._styles = {name: style_id(document, name) for name in (
            "List Bullet", "List Bullet 2", "List Bullet 3", "List Number", "List Number 2",
            "List Number 3", "List Continue", "List Continue 2", "List Continue 3", "Quote",
            "Code Block", "Inline Code", "Hyperlink", "Table Grid")}
        self._headings = {level: style_id(document, f"Heading {level}") for level in range(1, 7)}
        self._numbering_styles = {name: document.styles[name] for name in (
            "List Number", "List Number 2", "List Number 3")}

    def _paragraph(self, style_id: str | None = None) -> Paragraph:
        p = OxmlElement("w:p")
        self._append(p)
        if style_id is not None:
            p.style = style_id
        return Paragraph(p, self._body)

    def _new_table(self, rows: int, columns: int) -> Table:
        tbl = CT_Tbl.new_tbl(rows, columns, self._block_width)
        self._append(tbl)
        tbl.tblStyle_val = self._styles["Table Grid"]
        return Table(tbl, self._body)

    def _append(self, element) -> None:  # type: ignore[no-untyped-def]
        if self._end is not None:
            self._end.addprevious(element)
        else:
            self.document.element.body.append(element)

    def write(self, tokens: list[Token]) -> None:
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index)

    def _block(self, tokens: list[Token], index: int) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            paragraph = self._paragraph(self._headings[int(token.tag[1])])
            self._inline(paragraph, tokens[index + 1])
            return index + 3
        if kind == "paragraph_open":
            paragraph = self._paragraph(self._paragraph_style())
            self._inline(paragraph, tokens[index + 1])
            return index + 3
        if kind in ("bullet_list_open", "ordered_list_open"):
            ordered = kind == "ordered_list_open"
            start = int(token.attrGet("start") or 1) if ordered else 1
            num_id = self._new_numbering(self._list_style(ordered, len(self.lists) + 1), start) if ordered else None
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
            bottom_border(self._paragraph()._p.get_or_add_pPr())
        elif kind == "table_open":
            return self._table(tokens, index)
        return index + 1

    # ----- paragraphs

    def _paragraph_style(self):  # type: ignore[no-untyped-def]
        if self.lists:
            current = self.lists[-1]
            current.paragraphs_in_item += 1
            depth = min(len(self.lists), 3)
            suffix = "" if depth == 1 else f" {depth}"
            if current.paragraphs_in_item == 1:
                return self._styles[self._list_style(current.ordered, depth)]
            return self._styles[f"List Continue{suffix}"]
        return self._styles["Quote"] if self.quote_depth else None

    @staticmethod
    def _list_style(ordered: bool, depth: int) -> str:
        depth = min(depth, 3)
        return f"List {'Number' if ordered else 'Bullet'}{'' if depth == 1 else f' {depth}'}"

    def _inline(self, paragraph: Paragraph, token: Token) -> None:
        if self.lists and self.lists[-1].ordered and self.lists[-1].paragraphs_in_item == 1 \
                and self.lists[-1].num_id is not None:
            set_numbering(paragraph, self.lists[-1].num_id)
        self._runs(paragraph, token.children or [])
        if is_rtl(token.content):
            set_bidi(paragraph)

    def _runs(self, paragraph: Paragraph, children: list[Token]) -> None:
        state = _Inline()
        for child in children:
            kind = child.type
            if kind == "text":
                self._run(paragraph, child.content, state)
            elif kind == "code_inline":
                self._run(paragraph, child.content, state, code=True)
            elif kind == "softbreak":
                self._run(paragraph, " ", state)
            elif kind == "hardbreak":
                self._run(paragraph, "", state).add_break()
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
                state.link = self._hyperlink(paragraph, str(child.attrGet("href") or ""))
            elif kind == "link_close":
                state.link = None
            elif kind == "image":
                # Never embedded or fetched: a link to the image, like the HTML export.
                src = str(child.attrGet("src") or "")
                state.link = self._hyperlink(paragraph, src)
                self._run(paragraph, f"[Image: {child.content or 'image'}]", state)
                state.link = None

    def _run(self, paragraph: Paragraph, text: str, state: _Inline, *, code: bool = False):  # type: ignore[no-untyped-def]
        if EMOJI.search(text):
            # Emoji get runs of their own in an emoji font; mixed into one run with CJK text,
            # LibreOffice draws the whole run with the emoji font and shows empty boxes.
            run = None
            for part in _EMOJI_SPLIT.split(text):
                if part:
                    run = self._run_of(paragraph, part, state, code=code)
                    if EMOJI.match(part):
                        run.font.name = "Segoe UI Emoji"
            return run
        return self._run_of(paragraph, text, state, code=code)

    def _run_of(self, paragraph: Paragraph, text: str, state: _Inline, *, code: bool = False):  # type: ignore[no-untyped-def]
        run = paragraph.add_run()
        if "\t" in text or "\n" in text or "\r" in text:
            run.text = text  # tabs and breaks become elements of their own
        elif text:
            run._r.add_t(text)
        if code:
            run._r.style = self._styles["Inline Code"]
        if state.bold:
            run.bold = True
        if state.italic:
            run.italic = True
        if state.strike:
            run.font.strike = True
        if state.link is not None:
            if not code:
                run._r.style = self._styles["Hyperlink"]
            state.link.append(run._r)  # moves the run inside <w:hyperlink>
        return run

    def _hyperlink(self, paragraph: Paragraph, url: str):  # type: ignore[no-untyped-def]
        if not url or url.startswith("#"):
            return None  # in-document anchors have no bookmark to point at in Word
        rel_id = self._links.get(url)
        if rel_id is None:
            rel_id = self._links[url] = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK,
                                                                 is_external=True)
        element = OxmlElement("w:hyperlink")
        element.set(qn("r:id"), rel_id)
        element.set(qn("w:history"), "1")
        paragraph._p.append(element)
        return element

    def _code(self, content: str) -> None:
        paragraph = self._paragraph(self._styles["Code Block"])
        lines = content.rstrip("\n").split("\n")
        for number, line in enumerate(lines):
            run = paragraph.add_run(line.replace("\t", "    "))
            if number < len(lines) - 1:
                run.add_break()

    # ----- numbering

    def _new_numbering(self, style_name: str, start: int) -> int | None:
        """A fresh w:num for one ordered list, so each list counts from its own start."""
        style = self._numbering_styles[style_name]
        p_pr = style.element.pPr
        if p_pr is None or p_pr.numPr is None or p_pr.numPr.numId is None:
            return None
        numbering = self.document.part.numbering_part.element
        template = numbering.num_having_numId(p_pr.numPr.numId.val)
        num = numbering.add_num(template.abstractNumId.val)
        override = num.add_lvlOverride(ilvl=0)
        override.add_startOverride(start)
        return int(num.numId)

    # ----- tables

    def _table(self, tokens: list[Token], index: int) -> int:
        parsed = read_table(tokens, index)
        rows, header_rows, columns = parsed.rows, parsed.header_rows, parsed.columns
        if not columns:
            return parsed.end
        table = self._new_table(len(rows), columns)
        pad_cells(table)
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        # The rows' and cells' XML directly: python-docx's row.cells and cell.paragraphs build
        # proxies for the whole row every time (a third of a 300-page report's Word export).
        for row_number, (tr, cells) in enumerate(zip(table._tbl.tr_lst, rows)):
            if row_number < header_rows:
                repeat_as_header(tr)
            for tc, (inline, header, align) in zip(tr.tc_lst, ((c.inline, c.header, c.align) for c in cells)):
                p = tc.p_lst[0]
                p.insert(0, cell_paragraph_properties(rtl=is_rtl(inline.content), align=align))
                paragraph = Paragraph(p, self._body)
                self._runs(paragraph, inline.children or [])
                if header:
                    shade(tc.get_or_add_tcPr(), "E9EDF2", AFTER_CELL_SHADING)
                    for run in paragraph.runs:
                        run.bold = True
        self._paragraph().paragraph_format.space_after = Pt(0)
        return parsed.end

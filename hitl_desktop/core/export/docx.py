"""Word export through python-docx: real heading and list styles, tables, links and code blocks.

Walks the tokens of the shared Markdown parser, so Word shows the same structure as HTML and PDF:
headings use Word's "Heading n" styles (the navigation pane and a table of contents work),
lists use "List Bullet"/"List Number" (numbering restarts for every list), links are real
w:hyperlink elements, and code blocks use a monospace "Code Block" style. The page, styles and
properties around the report are set up in `docx_document`; the body is written by `docx_body`,
which asks this module for what only the document knows (style ids, link relationships,
list numberings).
"""

from __future__ import annotations

import io

from docx import Document
from docx.document import Document as DocxDocument
from docx.opc.constants import RELATIONSHIP_TYPE
from docx.oxml.numbering import CT_Num

from hitl_desktop.core.export.appendix import appendix_markdown
from hitl_desktop.core.export.docx_body import STYLE_NAMES, BodyContext, body_elements
from hitl_desktop.core.export.docx_document import (
    add_footer,
    add_provenance,
    set_properties,
    set_up_page,
    set_up_styles,
)
from hitl_desktop.core.export.docx_xml import bottom_border, style_id
from hitl_desktop.core.export.page import default_page_size
from hitl_desktop.core.export.parsing import parse
from hitl_desktop.core.export.report_facts import report_title
from hitl_desktop.core.models import Report


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
    context = _body_context(document)
    _append_to_body(document, body_elements(parse(report.markdown), context))
    if provenance and report.provenance is not None:
        bottom_border(document.add_paragraph()._p.get_or_add_pPr())
        _append_to_body(document, body_elements(parse(appendix_markdown(report.provenance)), context))
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _body_context(document: DocxDocument) -> BodyContext:
    """Style ids, link relationships and list numberings for the body. python-docx finds the next
    free relationship id and numbering id, and an existing relationship to reuse, by reading
    every one there is: for a report with hundreds of links and lists that was a tenth of the
    Word export, so the ids are counted here, as python-docx would pick them (the lowest free)."""
    part = document.part
    rels = part.rels
    links: dict[str, str] = {}
    next_rel = [int(rels._next_rId[3:])]  # noqa: SLF001 ("rIdN": the lowest unused, counted once)

    def link_id(url: str) -> str:
        if url not in links:
            while f"rId{next_rel[0]}" in rels:
                next_rel[0] += 1
            links[url] = rels.add_relationship(RELATIONSHIP_TYPE.HYPERLINK, url, f"rId{next_rel[0]}",
                                               is_external=True).rId
        return links[url]

    numbering = part.numbering_part.element
    used_num_ids = {int(num.numId) for num in numbering.num_lst}
    abstract_ids: dict[str, int | None] = {}

    def new_numbering(style_name: str, start: int) -> int | None:
        """A fresh w:num for one ordered list, so each list counts from its own start."""
        if style_name not in abstract_ids:
            p_pr = document.styles[style_name].element.pPr
            abstract_ids[style_name] = (
                None if p_pr is None or p_pr.numPr is None or p_pr.numPr.numId is None
                else numbering.num_having_numId(p_pr.numPr.numId.val).abstractNumId.val)
        abstract_id = abstract_ids[style_name]
        if abstract_id is None:
            return None
        num_id = next(n for n in range(1, len(used_num_ids) + 2) if n not in used_num_ids)
        used_num_ids.add(num_id)
        num = numbering._insert_num(CT_Num.new(num_id, abstract_id))  # noqa: SLF001 (add_num, id given)
        num.add_lvlOverride(ilvl=0).add_startOverride(start)
        return num_id

    return BodyContext(style_ids={name: style_id(document, name) for name in STYLE_NAMES},
                       block_width=document._block_width,  # noqa: SLF001 (what tables span)
                       link_id=link_id, new_numbering=new_numbering)


def _append_to_body(document: DocxDocument, elements: list) -> None:  # type: ignore[type-arg]
    body = document.element.body
    end = body.sectPr  # the section's properties stay the body's last element
    for element in elements:
        if end is not None:
            end.addprevious(element)
        else:
            body.append(element)

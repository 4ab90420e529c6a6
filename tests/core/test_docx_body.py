"""The Word body written as text (`docx_body`) is the XML python-docx's own calls write for the
same content, so Word, LibreOffice and python-docx read it as before."""

from __future__ import annotations

import io

import docx
from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt
from lxml import etree

from hitl_desktop.core.export.docx import render_docx
from hitl_desktop.core.export.docx_document import set_up_page, set_up_styles
from hitl_desktop.core.export.page import default_page_size
from export_samples import report


def body_of(markdown: str) -> bytes:
    document = docx.Document(io.BytesIO(render_docx(report(markdown), provenance=False)))
    body = document.element.body
    body.remove(body.sectPr)
    return etree.tostring(body)


def reference() -> docx.document.Document:
    document = Document()
    set_up_page(document, default_page_size())  # tables span the page between the margins
    set_up_styles(document)
    return document


def body_xml(document) -> bytes:  # type: ignore[no-untyped-def]
    body = document.element.body
    body.remove(body.sectPr)
    return etree.tostring(body)


def test_paragraphs_and_runs_are_what_python_docx_writes() -> None:
    markdown = ("# Heading one\n\n### Heading *three*\n\nplain **bold** *it* ~~gone~~ `x = 1`  \n"
                "after a break\n\n> quoted\n\n- bullet\n\n```\ndef f():\n\treturn 1\n\n```\n")
    theirs = reference()
    theirs.add_paragraph("Heading one", style="Heading 1")
    heading = theirs.add_paragraph("Heading ", style="Heading 3")
    heading.add_run("three").italic = True
    plain = theirs.add_paragraph("plain ")
    plain.add_run("bold").bold = True
    plain.add_run(" ")
    plain.add_run("it").italic = True
    plain.add_run(" ")
    plain.add_run("gone").font.strike = True
    plain.add_run(" ")
    plain.add_run("x = 1", style="Inline Code")
    plain.add_run().add_break()
    plain.add_run("after a break")
    theirs.add_paragraph("quoted", style="Quote")
    theirs.add_paragraph("bullet", style="List Bullet")
    code = theirs.add_paragraph(style="Code Block")
    code.add_run("def f():").add_break()
    code.add_run("    return 1")  # the fence's trailing blank line is not part of the code
    assert body_of(markdown) == body_xml(theirs)


def test_links_emoji_and_right_to_left_text_are_what_python_docx_writes() -> None:
    markdown = "مرحبا [بالعالم](https://example.org/a) 👍 ok\n"
    theirs = reference()
    paragraph = theirs.add_paragraph("مرحبا ")
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), "rId10")  # the first id the template leaves free
    link.set(qn("w:history"), "1")
    paragraph._p.append(link)
    linked = paragraph.add_run("بالعالم", style="Hyperlink")
    link.append(linked._r)
    paragraph.add_run(" ")
    paragraph.add_run("👍").font.name = "Segoe UI Emoji"
    paragraph.add_run(" ok")
    paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
    assert body_of(markdown) == body_xml(theirs)


def test_tables_are_what_python_docx_writes() -> None:
    markdown = "| Site | MW |\n|:---|---:|\n| MeyGen | 6 |\n"
    theirs = reference()
    table = theirs.add_table(rows=2, cols=2)
    table.style = theirs.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 40), ("left", 100), ("bottom", 40), ("right", 100)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    table._tbl.tblPr.insert_element_before(margins, "w:tblLook")
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    table.rows[0]._tr.get_or_add_trPr().append(header)
    for row, texts in enumerate((("Site", "MW"), ("MeyGen", "6"))):
        for column, text in enumerate(texts):
            cell = table.cell(row, column)
            paragraph = cell.paragraphs[0]
            paragraph.paragraph_format.space_after = Pt(0)
            paragraph.alignment = (WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT)[column]
            run = paragraph.add_run(text)
            if row == 0:
                run.bold = True
                shading = OxmlElement("w:shd")
                for name, value in (("w:val", "clear"), ("w:color", "auto"), ("w:fill", "E9EDF2")):
                    shading.set(qn(name), value)
                cell._tc.get_or_add_tcPr().append(shading)
    theirs.add_paragraph().paragraph_format.space_after = Pt(0)
    assert body_of(markdown) == body_xml(theirs)


def test_a_link_in_a_header_row_is_bold_like_the_rest_of_the_row() -> None:
    document = docx.Document(io.BytesIO(render_docx(report(
        "| [Site](https://example.org/s) | MW |\n|---|---|\n| a | 1 |\n"), provenance=False)))
    header = document.tables[0].rows[0].cells[0]._tc
    runs = header.findall(".//" + qn("w:r"))
    assert [run.findtext(qn("w:t")) for run in runs] == ["Site"]
    assert runs[0].find(qn("w:rPr")).find(qn("w:b")) is not None


def test_lists_number_from_their_own_start_each() -> None:
    document = docx.Document(io.BytesIO(render_docx(report(
        "3. three\n4. four\n\ntext\n\n1. one\n"), provenance=False)))
    numbering = document.part.numbering_part.element
    ids = [p._p.pPr.numPr.numId.val for p in document.paragraphs if p._p.pPr is not None
           and p._p.pPr.numPr is not None]
    assert ids[0] == ids[1] != ids[2]
    starts = [int(numbering.num_having_numId(num_id).find(qn("w:lvlOverride")).find(
        qn("w:startOverride")).get(qn("w:val"))) for num_id in (ids[0], ids[2])]
    assert starts == [3, 1]

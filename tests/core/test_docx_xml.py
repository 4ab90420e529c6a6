"""The Word export's shortcuts past python-docx (styles by id, paragraphs and tables placed
directly, plain run text in one w:t) write exactly what python-docx's own calls write."""

from __future__ import annotations

from docx import Document
from lxml import etree

from hitl_desktop.core.export.docx import _DocxWriter, _Inline
from hitl_desktop.core.export.docx_document import set_up_styles


def documents():  # type: ignore[no-untyped-def]
    ours, theirs = Document(), Document()
    for document in (ours, theirs):
        set_up_styles(document)
    return _DocxWriter(ours), ours, theirs


def xml(document) -> bytes:  # type: ignore[no-untyped-def]
    return etree.tostring(document.element.body)


def test_paragraphs_and_runs_are_what_python_docx_writes() -> None:
    writer, ours, theirs = documents()
    for style in (None, "Heading 1", "Heading 3", "List Bullet 2", "List Number", "Quote", "Code Block"):
        style_id = writer._headings[int(style[-1])] if style and style.startswith("Heading") else (
            writer._styles[style] if style else None)
        mine, reference = writer._paragraph(style_id), theirs.add_paragraph(style=style)
        for text in ("plain", "  padded ", "a\ttab", "two\nlines", "", "ünïcode 中文"):
            writer._run_of(mine, text, _Inline())
            reference.add_run(text)
        writer._run_of(mine, "x = 1", _Inline(), code=True)
        reference.add_run("x = 1", style="Inline Code")
    assert xml(ours) == xml(theirs)


def test_tables_are_what_python_docx_writes() -> None:
    writer, ours, theirs = documents()
    writer._paragraph()
    theirs.add_paragraph()
    writer._new_table(3, 4)
    theirs.add_table(rows=3, cols=4).style = theirs.styles["Table Grid"]
    assert xml(ours) == xml(theirs)

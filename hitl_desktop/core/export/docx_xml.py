"""WordprocessingML that python-docx has no call for, written as elements in the schema's order.

Word refuses a file whose property elements are out of order, so each element is put before
the siblings the schema says must follow it (the AFTER_* tuples). Kept apart from the document
structure (`docx`, `docx_document`) so what the XML must look like is in one place.
"""

from __future__ import annotations

from docx.document import Document as DocxDocument
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

# Elements that must follow <w:bidi> inside <w:pPr> (the schema fixes the order).
_AFTER_BIDI = ("w:adjustRightInd", "w:snapToGrid", "w:spacing", "w:ind", "w:contextualSpacing",
               "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection", "w:textAlignment",
               "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr",
               "w:sectPr", "w:pPrChange")
# What may follow <w:shd> in paragraph and in cell properties (Word rejects out-of-order XML).
_AFTER_PARAGRAPH_SHADING = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                            "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
                            "w:bidi", *_AFTER_BIDI)
AFTER_CELL_SHADING = ("w:noWrap", "w:tcMar", "w:textDirection", "w:tcFitText", "w:vAlign",
                      "w:hideMark", "w:headers", "w:cellIns", "w:cellDel", "w:cellMerge", "w:tcPrChange")


def add_field(paragraph: Paragraph, instruction: str) -> None:
    """A simple field (PAGE, NUMPAGES) showing "1" until Word updates it."""
    field_element = OxmlElement("w:fldSimple")
    field_element.set(qn("w:instr"), instruction)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    size = OxmlElement("w:sz")
    size.set(qn("w:val"), "16")
    props.append(size)
    run.append(props)
    text = OxmlElement("w:t")
    text.text = "1"
    run.append(text)
    field_element.append(run)
    paragraph._p.append(field_element)


def shade(properties, fill: str, successors: tuple[str, ...] = _AFTER_PARAGRAPH_SHADING) -> None:  # type: ignore[no-untyped-def]
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.insert_element_before(shading, *successors)


def bottom_border(p_pr) -> None:  # type: ignore[no-untyped-def]
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for name, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "4"), ("w:color", "C9CED6")):
        bottom.set(qn(name), value)
    borders.append(bottom)
    p_pr.insert_element_before(borders, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku",
                               "w:wordWrap", "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE",
                               "w:autoSpaceDN", "w:bidi", *_AFTER_BIDI)


def style_id(document: DocxDocument, name: str) -> str | None:
    """What python-docx writes for `style=name`: the style's id, or None for its type's default."""
    style = document.styles[name]
    return None if style == document.styles.default(style.type) else style.style_id


def pad_cells(table) -> None:  # type: ignore[no-untyped-def]
    margins = OxmlElement("w:tblCellMar")
    for side, twips in (("top", 40), ("left", 100), ("bottom", 40), ("right", 100)):
        margin = OxmlElement(f"w:{side}")
        margin.set(qn("w:w"), str(twips))
        margin.set(qn("w:type"), "dxa")
        margins.append(margin)
    tbl_pr = table._tbl.tblPr
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription",
                                 "w:tblPrChange")


def set_numbering(paragraph: Paragraph, num_id: int) -> None:
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_ilvl().val = 0
    num_pr.get_or_add_numId().val = num_id


def set_bidi(paragraph: Paragraph) -> None:
    p_pr = paragraph._p.get_or_add_pPr()
    p_pr.insert_element_before(OxmlElement("w:bidi"), *_AFTER_BIDI)


def cell_paragraph_properties(*, rtl: bool, align: str | None):  # type: ignore[no-untyped-def]
    """The w:pPr of a table cell's (new, empty) paragraph: no space after it, right-to-left if
    its text is, aligned as its column. What python-docx's `space_after`, `alignment` and
    `set_bidi` write, made at once in the schema's order (bidi, spacing, jc) instead of each
    setter searching the siblings it must precede."""
    properties = OxmlElement("w:pPr")
    if rtl:
        properties.append(OxmlElement("w:bidi"))
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:after"), "0")
    properties.append(spacing)
    if align:
        jc = OxmlElement("w:jc")
        jc.set(qn("w:val"), align)  # "left", "center", "right", as python-docx writes them
        properties.append(jc)
    return properties


def repeat_as_header(tr) -> None:  # type: ignore[no-untyped-def]
    tr_pr = tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)

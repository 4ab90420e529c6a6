"""WordprocessingML of the document around the report (styles, footer, divider lines) that
python-docx has no call for, written as elements in the schema's order.

Word refuses a file whose property elements are out of order, so each element is put before
the siblings the schema says must follow it (the _AFTER_* tuples). The report's own body is
written by `docx_body`.
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
# What may follow <w:shd> in paragraph properties (Word rejects out-of-order XML).
_AFTER_PARAGRAPH_SHADING = ("w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap",
                            "w:overflowPunct", "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN",
                            "w:bidi", *_AFTER_BIDI)


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

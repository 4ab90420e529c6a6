"""The Word document around the report: page size and margins, the styles the report's blocks
use, the document properties, the provenance line under the title and the page footer.

Set up once before the report's Markdown is written into the body (`docx.render_docx`).
"""

from __future__ import annotations

import re

from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.shared import Mm, Pt, RGBColor

from hitl_desktop.core.export.docx_xml import add_field, bottom_border, shade
from hitl_desktop.core.export.report_facts import provenance_items, report_title
from hitl_desktop.core.models import Report

_MONO = "Consolas"
_LINK_BLUE = RGBColor(0x1F, 0x5F, 0xBF)
_MUTED = RGBColor(0x5C, 0x63, 0x70)
EMOJI_CHARS = "\U0001F000-\U0001FAFF\u2600-\u27BF\u2B00-\u2BFF\uFE0F\u200D"
EMOJI = re.compile(f"[{EMOJI_CHARS}]")
EMOJI_SPLIT = re.compile(f"([{EMOJI_CHARS}]+)")  # keeps the emoji runs as parts


def set_up_page(document: DocxDocument, page_size: str) -> None:
    section = document.sections[0]
    if page_size.lower() == "letter":
        section.page_width, section.page_height = Mm(215.9), Mm(279.4)
    else:
        section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(22)
    section.top_margin, section.bottom_margin = Mm(20), Mm(18)


def set_up_styles(document: DocxDocument) -> None:
    styles = document.styles
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(11)
    for level, size in ((1, 20), (2, 15), (3, 12.5)):
        heading = styles[f"Heading {level}"]
        heading.font.name = "Calibri"
        heading.font.size = Pt(size)
        heading.font.color.rgb = RGBColor(0x14, 0x26, 0x3F) if level == 1 else RGBColor(0x1D, 0x3A, 0x63)
        heading.paragraph_format.space_before = Pt(0 if level == 1 else 14)
        heading.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.space_after = Pt(6)
    normal.paragraph_format.line_spacing = 1.15

    code = styles.add_style("Code Block", WD_STYLE_TYPE.PARAGRAPH)
    code.base_style = normal
    code.font.name = _MONO
    code.font.size = Pt(9)
    code.paragraph_format.space_before = Pt(2)
    code.paragraph_format.space_after = Pt(8)
    code.paragraph_format.line_spacing = 1.0
    code.paragraph_format.keep_together = True
    code.paragraph_format.left_indent = Mm(3)
    shade(code.element.get_or_add_pPr(), "F3F4F6")

    inline_code = styles.add_style("Inline Code", WD_STYLE_TYPE.CHARACTER)
    inline_code.font.name = _MONO
    inline_code.font.size = Pt(9.5)

    link = styles.add_style("Hyperlink", WD_STYLE_TYPE.CHARACTER)
    link.font.color.rgb = _LINK_BLUE
    link.font.underline = True

    meta = styles.add_style("Provenance", WD_STYLE_TYPE.PARAGRAPH)
    meta.base_style = normal
    meta.font.size = Pt(8.5)
    meta.font.color.rgb = _MUTED
    meta.paragraph_format.space_after = Pt(14)
    bottom_border(meta.element.get_or_add_pPr())


def set_properties(document: DocxDocument, report: Report, *, provenance: bool) -> None:
    props = document.core_properties
    props.title = report_title(report)[:250]
    props.subject = report.topic[:250]
    props.created = props.modified = report.created_at.replace(tzinfo=None)
    props.revision = 1
    if not provenance:  # python-docx's template names itself as author: say nothing at all
        props.author = props.last_modified_by = props.comments = ""
        return
    info = dict(provenance_items(report))
    props.author = info["Generator"]
    props.last_modified_by = info["Generator"]
    props.comments = f"{info.get('Model', '')} · {info['Research']}".strip(" ·")
    if report.provenance is not None:
        made = report.provenance.redacted()
        props.comments = made.summary()[:1000]
        props.version = made.app_version[:250]
        props.content_status = ("Reviewed" if any(r.approved for r in made.rounds) else "")


def add_provenance(document: DocxDocument, report: Report) -> None:
    meta = " · ".join(f"{label}: {value}" if label in ("Topic", "Model") else value
                      for label, value in provenance_items(report) if label != "Generator")
    document.add_paragraph(meta, style="Provenance")


def add_footer(document: DocxDocument, title: str) -> None:
    paragraph = document.sections[0].footer.paragraphs[0]
    run = paragraph.add_run(f"{EMOJI.sub('', title)[:80].strip()}\t\tPage ")
    run.font.size, run.font.color.rgb = Pt(8), _MUTED
    add_field(paragraph, "PAGE")
    tail = paragraph.add_run(" of ")
    tail.font.size, tail.font.color.rgb = Pt(8), _MUTED
    add_field(paragraph, "NUMPAGES")

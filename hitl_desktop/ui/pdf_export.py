"""PDF export through Qt's own QTextDocument and QPdfWriter: no external renderer, no system libs.

The body HTML comes from the shared Markdown parser (so the PDF shows exactly what the HTML
export shows, with nothing fetched). Pages are painted one by one so each gets a footer with the
title and "Page n of m". The same painting prints to a QPrinter.

Importing this module registers ".pdf" with the core's exporter (`hitl_desktop.core.export`),
which knows nothing of Qt. Qt itself is imported inside the functions, so registering costs
nothing at start-up; a QApplication (fonts need a GUI application) is created, offscreen, only
when none exists (a script exporting without the window).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from functools import lru_cache
from typing import TYPE_CHECKING

from hitl_desktop.core import export
from hitl_desktop.core.export.pdf_html import document_pieces
from hitl_desktop.core.models import Report

if TYPE_CHECKING:
    from PySide6.QtCore import QSizeF
    from PySide6.QtGui import QPagedPaintDevice, QPageSize, QTextDocument

_MARGINS_MM = (20.0, 16.0, 20.0, 14.0)  # left, top, right, bottom
_FOOTER_MM = 9.0
_BODY_FAMILIES = ["Segoe UI", "Helvetica Neue", "Noto Sans", "DejaVu Sans", "Arial"]
_MONO = '"Consolas", "Menlo", "DejaVu Sans Mono", "Noto Sans Mono", "Courier New", monospace'

_QT_CSS = """
body { color: #1d1f23; }
h1 { font-size: 20pt; font-weight: 600; color: #14263f; margin-top: 0; margin-bottom: 8PT; }
h2 { font-size: 15pt; font-weight: 600; color: #1d3a63; margin-top: 18PT; margin-bottom: 6PT; }
h3 { font-size: 12.5pt; font-weight: 600; color: #1d3a63; margin-top: 14PT; margin-bottom: 4PT; }
h4, h5, h6 { font-size: 11pt; font-weight: 600; margin-top: 10PT; margin-bottom: 3PT; }
p { margin-top: 0; margin-bottom: 7PT; line-height: 130%; }
li { margin-bottom: 2PT; line-height: 125%; }
ul, ol { margin-top: 0; margin-bottom: 8PT; }
a { color: #1f5fbf; text-decoration: underline; }
pre { font-family: MONO; font-size: 8.5pt; background-color: #f3f4f6;
      margin-top: 2PT; margin-bottom: 9PT; }
code { font-family: MONO; font-size: 9pt; background-color: #f0f1f3; }
blockquote { color: #4a5260; margin-left: 14PT; margin-right: 8PT; margin-bottom: 8PT;
             font-style: italic; }
table { background-color: #aeb5bf; margin-top: 2PT; margin-bottom: 10PT; }
th { background-color: #e9edf2; font-weight: 600; padding: 4PT; text-align: left; }
td { background-color: #ffffff; padding: 4PT; }
p.meta { color: #5c6370; font-size: 8.5pt; margin-bottom: 4PT; }
div.how-made { color: #4a5260; font-size: 9.5pt; }
"""
_POINTS = re.compile(r"(\d+(?:\.\d+)?)PT")


def _stylesheet() -> str:
    """Qt's HTML importer ignores 'pt' in margins and padding but scales 'px' as 1/96 inch on
    any device, so points (written 'PT' above) are converted to such pixels here.

    A table's lines are its background in the 1 px between cells (`cellspacing`, set by the
    HTML renderer for Qt), not cell borders: Qt's collapsed borders look the same but cost
    0.4 s of layout and painting on the 293-page benchmark report's 300 tables."""
    css = _QT_CSS.replace("MONO", _MONO)
    return _POINTS.sub(lambda m: f"{float(m.group(1)) * 96 / 72:.1f}px", css)


_app_we_made = None  # keeps a lazily created QGuiApplication alive for the process


def render_pdf(report: Report, *, page_size: str | None = None, provenance: bool = True,
               pieces: Iterator[str] | None = None) -> bytes:
    """The report as PDF bytes. `page_size` is "A4" or "Letter"; None follows the locale. With
    `provenance` off the PDF says nothing of where or how the report was made (no line under the
    title, no appendix, no creator). `pieces`: its HTML as `core.export.pdf_html.document_pieces`
    makes it, read as it comes (from another process), instead of made here."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QMarginsF
    from PySide6.QtGui import QPageLayout, QPdfWriter

    from hitl_desktop.core.export.report_facts import provenance_items, report_title

    _ensure_gui_app()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    writer = QPdfWriter(buffer)
    writer.setResolution(300)
    writer.setTitle(report_title(report))
    if provenance:
        writer.setCreator(dict(provenance_items(report))["Generator"])
        if report.provenance is not None and hasattr(writer, "setAuthor"):  # Qt 6.8 and later
            writer.setAuthor(report.provenance.redacted().generator)
    layout = QPageLayout(_page_size(page_size), QPageLayout.Orientation.Portrait,
                         QMarginsF(*_MARGINS_MM), QPageLayout.Unit.Millimeter)
    writer.setPageLayout(layout)
    paint_report(writer, report, provenance=provenance, pieces=pieces)
    buffer.close()
    return bytes(data.data())


def paint_report(device: QPagedPaintDevice, report: Report, *, provenance: bool = True,
                 pieces: Iterator[str] | None = None) -> int:
    """Lay the report out on `device` (a QPdfWriter or QPrinter) page by page; returns pages."""
    from PySide6.QtCore import QRectF, QSizeF
    from PySide6.QtGui import QPainter

    from hitl_desktop.core.export.report_facts import report_title

    _ensure_gui_app()
    report = export.clean_report(report)  # printing does not pass through export.render
    resolution = device.logicalDpiY()
    footer_px = _FOOTER_MM / 25.4 * resolution
    body = QSizeF(device.width(), device.height() - footer_px)
    if pieces is None:
        document = build_document(report, device, provenance=provenance)
        document.setPageSize(body)
    else:  # laid out on these pages as it came (setting the size again would lay it out again)
        document = build_document(report, device, pieces=pieces, page_size=body)
    pages = document.pageCount()
    title = report_title(report)
    painter = QPainter(device)
    try:
        for index in range(pages):
            if index:
                device.newPage()
            painter.save()
            painter.translate(0, -index * body.height())
            _draw_page(painter, document, QRectF(0, index * body.height(), body.width(), body.height()))
            painter.restore()
            _paint_footer(painter, QRectF(0, body.height(), body.width(), footer_px),
                          title, index + 1, pages)
    finally:
        painter.end()
    return pages


def build_document(report: Report, device: QPagedPaintDevice | None = None, *,
                   provenance: bool = True, pieces: Iterator[str] | None = None,
                   page_size: QSizeF | None = None) -> QTextDocument:
    """A QTextDocument holding the report as it appears on paper (provenance line first, the
    appendix on how it was made last, unless `provenance` is off). From `pieces` (see
    `core.export.pdf_html.document_pieces`) if given: laid out on pages of `page_size` one piece
    at a time."""
    from PySide6.QtGui import QTextDocument

    from hitl_desktop.core.export.report_facts import report_title

    _ensure_gui_app()
    document = _styled_document()
    if device is not None:
        document.documentLayout().setPaintDevice(device)
    document.setMetaInformation(QTextDocument.MetaInformation.DocumentTitle, report_title(report))
    if pieces is None:
        from hitl_desktop.core.export.pdf_html import document_html

        document.setHtml(document_html(report, provenance=provenance))
    else:
        if page_size is not None:
            document.setPageSize(page_size)
        _fill_from_pieces(document, pieces)
    return document


def _styled_document() -> QTextDocument:
    from PySide6.QtGui import QFont, QTextDocument

    document = QTextDocument()
    font = QFont()
    font.setFamilies(_BODY_FAMILIES)
    font.setPointSizeF(10.5)
    document.setDefaultFont(font)
    document.setDefaultStyleSheet(_stylesheet())
    document.setDocumentMargin(0)
    return document


def _fill_from_pieces(document: QTextDocument, pieces: Iterator[str]) -> None:
    """The pieces' HTML into `document` as they come, each laid out before the next is read
    (while another process makes it). The same document as `setHtml` of the whole: a piece is
    imported on its own, then added after a new block with its first block's formats (inserted
    HTML would run its first block into the document's last one and drop its formats)."""
    from PySide6.QtGui import QTextCursor, QTextDocumentFragment

    cursor: QTextCursor | None = None
    for piece in pieces:
        if cursor is None:
            document.setHtml(piece)
            cursor = QTextCursor(document)
        else:
            part = _styled_document()
            part.setHtml(piece)
            first = part.begin()
            cursor.movePosition(QTextCursor.MoveOperation.End)
            cursor.insertBlock(first.blockFormat(), first.charFormat())
            cursor.insertFragment(QTextDocumentFragment(part))
        document.pageCount()  # lays out what is new


def _draw_page(painter, document: QTextDocument, clip) -> None:  # type: ignore[no-untyped-def]
    """Like QTextDocument.drawContents, but with a palette of our own: Qt paints horizontal
    rules in the palette's WindowText colour, which is black by default."""
    from PySide6.QtGui import QAbstractTextDocumentLayout, QColor, QPalette

    context = QAbstractTextDocumentLayout.PaintContext()
    context.clip = clip
    palette = QPalette(context.palette)
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#c9ced6"))
    palette.setColor(QPalette.ColorRole.Text, QColor("#1d1f23"))
    context.palette = palette
    painter.setClipRect(clip)
    document.documentLayout().draw(painter, context)


def _paint_footer(painter, rect, title: str, page: int, pages: int) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QRectF, Qt
    from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPen

    font = QFont()
    font.setFamilies(_BODY_FAMILIES)
    font.setPointSizeF(8)
    painter.save()
    painter.setFont(font)
    painter.setPen(QPen(QColor("#c9ced6"), 0))
    top = rect.top() + rect.height() * 0.35
    painter.drawLine(rect.left(), top, rect.right(), top)
    painter.setPen(QColor("#5c6370"))
    text_rect = QRectF(rect.left(), top, rect.width(), rect.bottom() - top)
    number = f"Page {page} of {pages}"
    metrics = QFontMetricsF(font, painter.device())
    room = rect.width() - metrics.horizontalAdvance(number) - metrics.averageCharWidth() * 4
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                     metrics.elidedText(title, Qt.TextElideMode.ElideRight, max(room, 0)))
    painter.drawText(text_rect, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, number)
    painter.restore()


def _page_size(name: str | None) -> QPageSize:
    from PySide6.QtCore import QLocale
    from PySide6.QtGui import QPageSize

    if name is None:
        us = QLocale().measurementSystem() == QLocale.MeasurementSystem.ImperialUSSystem
        name = "Letter" if us else "A4"
    return QPageSize(QPageSize.PageSizeId.Letter if name.lower() == "letter" else QPageSize.PageSizeId.A4)


def _ensure_gui_app() -> None:
    """Fonts need a QGuiApplication. In the app one exists; a script gets an offscreen one."""
    global _app_we_made
    from PySide6.QtCore import QCoreApplication
    from PySide6.QtGui import QGuiApplication

    existing = QCoreApplication.instance()
    if existing is None:
        # A QApplication, not a bare QGuiApplication: a process may show widgets later (a test
        # run, a script that goes on to open a window), and Qt allows one application object.
        from PySide6.QtWidgets import QApplication

        _app_we_made = QApplication(["hitl-desktop-export", "-platform", "offscreen"])
    elif not isinstance(existing, QGuiApplication):
        raise RuntimeError("PDF export needs a QGuiApplication, but a plain QCoreApplication exists.")


# Scripts named in "N characters in Korean could not be drawn", by the start of Unicode's name.
_SCRIPT_NAMES = (("HANGUL", "Korean"), ("HIRAGANA", "Japanese"), ("KATAKANA", "Japanese"),
                 ("CJK", "Chinese or Japanese"), ("ARABIC", "Arabic"), ("HEBREW", "Hebrew"),
                 ("DEVANAGARI", "Devanagari"), ("BENGALI", "Bengali"), ("TAMIL", "Tamil"),
                 ("THAI", "Thai"), ("ETHIOPIC", "Ethiopic"), ("ARMENIAN", "Armenian"),
                 ("GEORGIAN", "Georgian"), ("CYRILLIC", "Cyrillic"), ("GREEK", "Greek"))
FONT_ADVICE = {"Korean": "Noto Sans CJK", "Chinese or Japanese": "Noto Sans CJK",
               "Japanese": "Noto Sans CJK", "emoji": "Noto Color Emoji"}


def undrawable_characters(text: str) -> Counter[str]:
    """How many characters of `text`, by script, no installed font can draw. Qt's PDF writer
    leaves such characters out without a word, so the save must say so instead."""
    _ensure_gui_app()
    fonts = _installed_fonts()
    missing: Counter[str] = Counter()
    for char, count in Counter(text).items():
        if unicodedata.category(char)[0] in "CZM":  # controls, spaces, marks: drawn with others
            continue
        if not _drawable(char, fonts):
            missing[_script_of(char)] += count
    return missing


def _drawable(char: str, fonts: tuple) -> bool:  # type: ignore[type-arg]
    code = ord(char)
    return any(font.supportsCharacter(code) for font in fonts)


@lru_cache(maxsize=1)
def _installed_fonts() -> tuple:  # type: ignore[type-arg]
    """One QRawFont per installed family: what Qt's font fallback can pick from."""
    from PySide6.QtGui import QFont, QFontDatabase, QRawFont

    return tuple(QRawFont.fromFont(QFont(family)) for family in QFontDatabase.families())


def _script_of(char: str) -> str:
    if unicodedata.category(char) == "So" and ord(char) >= 0x2600:
        return "emoji"
    name = unicodedata.name(char, "")
    return next((script for prefix, script in _SCRIPT_NAMES if name.startswith(prefix)),
                name.split(" ")[0].title() or "unnamed")


def drawing_losses(report: Report) -> tuple[str, str] | None:
    """The characters this PDF will be missing, said as (message, hint), or None."""
    from hitl_desktop.core.export.appendix import appendix_markdown

    appendix = appendix_markdown(report.provenance) if report.provenance is not None else ""
    missing = undrawable_characters(f"{report.topic}\n{report.markdown}\n{appendix}")
    if not missing:
        return None
    total = sum(missing.values())
    scripts = [script for script, _count in missing.most_common()]
    if len(scripts) == 1:
        message = f"{total:,} character{'s' if total != 1 else ''} in {scripts[0]} could not be drawn."
    else:
        parts = ", ".join(f"{count:,} in {script}" for script, count in missing.most_common())
        message = f"{total:,} characters could not be drawn ({parts})."
    fonts = sorted({FONT_ADVICE.get(script, f"Noto Sans {script}") for script in scripts})
    hint = (f"No installed font has them: install one such as {' or '.join(fonts)}. The Markdown, "
            "HTML and Word files keep every character.")
    return message, hint


def _render_prepared(report: Report, pieces: Iterator[str], provenance: bool) -> bytes:
    return render_pdf(report, provenance=provenance, pieces=pieces)


export.register(export.ExportFormat(".pdf", "PDF document", render_pdf, losses=drawing_losses,
                                    thread_bound=True, prepare=document_pieces,
                                    render_prepared=_render_prepared),
                before=".docx")

"""Reading every export format back as plain text, to check that no word of a report was lost."""

from __future__ import annotations

import io
import re
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import docx
import pypdf

from hitl_desktop.core import export
from hitl_desktop.core.models import Report


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        self._skip += tag in ("style", "script", "title")
        self.parts.append(" ")

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        self._skip -= tag in ("style", "script", "title")
        self.parts.append(" ")

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if not self._skip:
            self.parts.append(data)


def html_text(data: bytes) -> str:
    parser = _Text()
    parser.feed(data.decode("utf-8"))
    parser.close()
    return "".join(parser.parts)


def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return unicodedata.normalize("NFKC", text).replace("\t", " ")


def text_of(suffix: str, data: bytes) -> str:
    if suffix == ".html":
        return html_text(data)
    if suffix == ".docx":
        return docx_text(data)
    if suffix == ".pdf":
        return pdf_text(data)
    return data.decode("utf-8")


def rendered_texts(report: Report) -> dict[str, str]:
    """Each format (PDF too when the UI layer registered it) rendered and read back as text."""
    return {suffix: text_of(suffix, export.render(report, fmt)) for suffix, fmt in export.FORMATS.items()}


def saved_texts(folder: Path, stem: str, report: Report) -> dict[str, str]:
    """Each format saved through the app's own save path, read back from disk as text."""
    return {path.suffix: text_of(path.suffix, path.read_bytes())
            for path in export.save_all(folder, stem, report)}


def missing_words(words: list[str], texts: dict[str, str]) -> dict[str, list[str]]:
    """For each format, the words it lost (formats that kept all are left out). Case does not
    count: plain text writes minor headings in capitals. In a PDF, pypdf may read a gap in the
    glyph positions as a space inside a word ("cg7 0"): there, spaces do not count either."""
    lost = {}
    for suffix, text in texts.items():
        found = set(re.findall(r"\w+", text.casefold()))
        compact = re.sub(r"\s+", "", text.casefold()) if suffix == ".pdf" else ""
        gone = [word for word in words if word.casefold() not in found and word.casefold() not in compact]
        if gone:
            lost[suffix] = gone
    return lost

"""How a report was made, in the PDF (and on paper): the appendix and metadata when on, none of
it when off. Read back with pypdf."""

from __future__ import annotations

import io
import unicodedata
from pathlib import Path

import pypdf
from export_samples import APPENDIX, MADE, made_report

from hitl_desktop.core import export
from hitl_desktop.ui import pdf_export


def pdf_text(data: bytes) -> str:
    pages = pypdf.PdfReader(io.BytesIO(data)).pages
    return unicodedata.normalize("NFKC", "\n".join(page.extract_text() for page in pages)).replace("\t", " ")


def test_pdf_ends_with_how_the_report_was_made(tmp_path: Path) -> None:
    data = export.save_report(tmp_path / "r.pdf", made_report()).read_bytes()
    text = " ".join(pdf_text(data).split())
    missing = [mark for mark in APPENDIX if mark not in text]
    assert not missing, missing
    assert text.index("lcoe = capex") < text.index("How this report was made")
    assert '"Sihwa" & #2 <b>[more](javascript:x)</b>' in text  # the feedback as typed
    meta = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert meta.creator == "HITL Desktop 0.1.0"


def test_pdf_with_provenance_off_says_nothing_of_it(tmp_path: Path) -> None:
    data = export.save_report(tmp_path / "r.pdf", made_report(), provenance=False).read_bytes()
    text = pdf_text(data)
    found = [mark for mark in MADE if mark in " ".join(text.split())]
    assert not found, found
    assert "Tidal Power in Europe" in text and "Swansea Bay lagoon" in text
    meta = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert "HITL" not in str(meta.creator or "") and "HITL" not in str(meta.author or "")
    assert meta.title == "Tidal Power in Europe"


def test_printing_follows_the_switch() -> None:
    on = pdf_export.build_document(made_report()).toPlainText()
    off = pdf_export.build_document(made_report(), provenance=False).toPlainText()
    assert "How this report was made" in on and "Model: qwen-plus" in on
    assert "How this report was made" not in off and "qwen-plus" not in off

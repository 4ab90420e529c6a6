"""PDF export (Qt's QTextDocument + QPdfWriter), read back with pypdf."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import replace
from pathlib import Path

import pypdf
import pytest
from export_samples import (
    MALICIOUS_MARKDOWN,
    ORDINARY_MARKDOWN,
    UNICODE_MARKDOWN,
    made_report,
    pdf_pieces_failing_after_two,
    pdf_pieces_of_2000,
    report,
)

from hitl_desktop.core import export
from hitl_desktop.core.export.pdf_html import document_pieces
from hitl_desktop.ui import pdf_export


def pdf_text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    # Qt writes Arabic as presentation forms; NFKC maps them back to ordinary letters.
    return unicodedata.normalize("NFKC", text).replace("\t", " ")


def pdf_links(data: bytes) -> list[str]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return [annot.get_object()["/A"]["/URI"] for page in reader.pages
            for annot in page.get("/Annots") or [] if "/A" in annot.get_object()]


def page_contents(data: bytes) -> list[bytes]:
    """What each page draws, as the PDF's own operators (text positions to the 1/64 pixel)."""
    return [page.get_contents().get_data() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("provenance", [True, False])
@pytest.mark.parametrize("markdown", [ORDINARY_MARKDOWN * 3, UNICODE_MARKDOWN * 3, MALICIOUS_MARKDOWN * 3])
def test_a_pdf_laid_out_piece_by_piece_draws_what_the_whole_draws(markdown: str, provenance: bool) -> None:
    """A long report's HTML comes in pieces, each added and laid out as it arrives: the same
    blocks, formats and page breaks as the whole imported at once."""
    the_report = export.clean_report(replace(made_report(), markdown=markdown))
    pieces = list(document_pieces(the_report, provenance, piece_chars=1))  # one at every heading
    assert len(pieces) >= 3
    whole = pdf_export.render_pdf(the_report, provenance=provenance)
    from_pieces = pdf_export.render_pdf(the_report, provenance=provenance, pieces=iter(pieces))
    assert page_contents(from_pieces) == page_contents(whole)
    assert pdf_links(from_pieces) == pdf_links(whole)


def test_pdf_round_trip(tmp_path: Path) -> None:
    saved = export.save_report(tmp_path / "r.pdf", report())
    data = saved.read_bytes()
    text = pdf_text(data)
    for expected in ("Tidal Power in Europe", "Key findings", "MeyGen in Scotland is the largest array",
                     "Swansea Bay lagoon", "Capacity (MW)", "EMEC test centre",
                     "lcoe = capex * crf", "Page 1 of 1", "Model: qwen-plus"):
        assert expected in text, expected
    assert "https://www.emec.org.uk/" in pdf_links(data)
    meta = pypdf.PdfReader(io.BytesIO(data)).metadata
    assert meta.title == "Tidal Power in Europe" and meta.creator.startswith("HITL Desktop")


@pytest.mark.parametrize(("page_size", "width_pt"), [("A4", 595), ("Letter", 612)])
def test_pdf_page_size_and_numbering_over_many_pages(page_size: str, width_pt: int) -> None:
    long = ORDINARY_MARKDOWN + "\n".join(f"\n## Section {n}\n\n" + "Tidal words fill the page. " * 60
                                         for n in range(12))
    data = pdf_export.render_pdf(report(long), page_size=page_size)
    reader = pypdf.PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 3
    assert round(float(reader.pages[0].mediabox.width)) == width_pt
    last = unicodedata.normalize("NFKC", reader.pages[-1].extract_text()).replace("\t", " ")
    assert f"Page {pages} of {pages}" in last
    assert "Section 11" in pdf_text(data)


def test_pdf_sits_between_html_and_word_in_the_save_dialog() -> None:
    assert list(export.FORMATS) == [".md", ".html", ".pdf", ".docx", ".txt"]
    pdf_filter = next(f for f in export.name_filters() if f.endswith("(*.pdf)"))
    assert export.suffix_for_filter(pdf_filter) == ".pdf"


def test_unicode_text_is_kept_where_a_font_can_draw_it_and_counted_where_none_can(tmp_path: Path) -> None:
    """Which scripts survive depends on the fonts installed: each word must either be in the PDF
    or be counted, by script, among the characters no installed font can draw."""
    data = export.save_report(tmp_path / "unicode.pdf", report(UNICODE_MARKDOWN, topic="潮汐能 🌊 طاقة")).read_bytes()
    text = pdf_text(data)
    missing = pdf_export.undrawable_characters(UNICODE_MARKDOWN)
    # Arabic and Hebrew come out in visual (reversed) order, so each word is looked for as
    # written or reversed. Colour emoji are drawn as images and cannot be extracted at all.
    for word, script in [("欧洲的潮汐能成本正在下降", "Chinese or Japanese"), ("苏格兰", "Chinese or Japanese"),
                         ("한국어", "Korean"), ("الملخص", "Arabic"), ("סיכום", "Hebrew")]:
        drawable = not any(pdf_export.undrawable_characters(char) for char in word)
        if drawable:
            assert word in text or word[::-1] in text, word
        else:
            assert missing[script] >= len(word), (word, missing)
    assert "Emoji:" in text and not missing["Latin"]


def test_undrawable_characters_are_counted_by_script(monkeypatch: pytest.MonkeyPatch) -> None:
    class LatinOnlyFont:
        def supportsCharacter(self, code: int) -> bool:  # noqa: N802 (QRawFont's name)
            return code < 0x250

    monkeypatch.setattr(pdf_export, "_installed_fonts", lambda: (LatinOnlyFont(),))
    assert pdf_export.undrawable_characters("Hi 한국어 텍스트 🌊 欧洲\n") == {
        "Korean": 6, "emoji": 1, "Chinese or Japanese": 2}
    assert not pdf_export.undrawable_characters("Plain Latin text, 123.\t")


def test_malicious_markdown_file_keeps_every_word_as_text(tmp_path: Path) -> None:
    text = export.save_report(tmp_path / "m.pdf", report(MALICIOUS_MARKDOWN)).read_bytes()
    extracted = pdf_text(text)
    assert "<script>alert('xss')</script>" in extracted
    assert "Text after the script must survive." in extracted
    assert not [u for u in pdf_links(text) if not u.startswith(("http://", "https://"))]


def test_only_the_pdf_module_touches_qt_and_registers_itself(tmp_path: Path) -> None:
    """A script using only the core exports four formats without Qt; importing the UI's PDF
    module registers .pdf, which then works without a QApplication (an offscreen one is made)."""
    import subprocess
    import sys

    script = f"""
import sys
sys.path.insert(0, {str(Path(__file__).parents[1])!r})
from export_samples import report
from hitl_desktop.core import export
for suffix in (".md", ".html", ".docx", ".txt"):
    export.save_report({str(tmp_path)!r} + "/r" + suffix, report())
assert not [m for m in sys.modules if m.startswith("PySide6")], "Qt imported by a Qt-free format"
assert ".pdf" not in export.FORMATS
import hitl_desktop.ui.pdf_export
export.save_report({str(tmp_path)!r} + "/r.pdf", report())
from PySide6.QtGui import QGuiApplication
print(type(QGuiApplication.instance()).__name__, QGuiApplication.platformName())
"""
    env = {k: v for k, v in __import__("os").environ.items() if k != "QT_QPA_PLATFORM"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["QApplication", "offscreen"]
    assert "Tidal Power in Europe" in pdf_text((tmp_path / "r.pdf").read_bytes())


@pytest.mark.parametrize(("save", "pieces"), [
    ("one", pdf_pieces_of_2000),            # the HTML made here
    ("all", pdf_pieces_of_2000),            # made by the Qt-free formats' process, sent on from here
    ("all", pdf_pieces_failing_after_two),  # that fails: the PDF's process renders from the report
    ("all", "here"),                        # that process cannot start: the HTML made here
])
def test_a_long_reports_pdf_renders_in_a_second_process_like_here(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, save: str, pieces: object) -> None:
    """A long report's PDF renders in a second process (Qt would hold Python's lock, and so the
    window, for most of it), from its HTML made meanwhile elsewhere, piece by piece: the same
    pages, text, links and metadata as rendered here."""
    from hitl_desktop.core.export import render_process

    the_report = report(ORDINARY_MARKDOWN + "\n".join(
        f"\n## Section {n}\n\n" + "Tidal words fill the page. " * 60 for n in range(12)))
    here = pdf_export.render_pdf(the_report)
    if pieces == "here":
        pieces = pdf_pieces_of_2000
        real_command = render_process.child_command
        monkeypatch.setattr(render_process, "child_command",
                            lambda qt: real_command(qt=qt) if qt else ["/nonexistent/python3"])
    monkeypatch.setitem(export.FORMATS, ".pdf", replace(export.FORMATS[".pdf"], prepare=pieces))
    monkeypatch.setattr(render_process, "SECOND_PROCESS_FROM_CHARS", 0)
    started = []
    real_start = render_process.RenderProcess.start.__func__  # type: ignore[attr-defined]
    monkeypatch.setattr(render_process.RenderProcess, "start", classmethod(
        lambda cls, *args, **kwargs: started.append(args[1]) or real_start(cls, *args, **kwargs)))
    if save == "one":
        path = export.save_report(tmp_path / "r.pdf", the_report)
    else:
        path = export.save_all(tmp_path, "r", the_report)[list(export.FORMATS).index(".pdf")]
    assert [".pdf"] in started
    assert len(list(pdf_pieces_of_2000(the_report, True))) > 3
    there = path.read_bytes()
    assert page_contents(there) == page_contents(here)
    assert len(pypdf.PdfReader(io.BytesIO(there)).pages) == len(pypdf.PdfReader(io.BytesIO(here)).pages)
    assert pdf_text(there) == pdf_text(here)
    assert pdf_links(there) == pdf_links(here)
    meta_there, meta_here = (pypdf.PdfReader(io.BytesIO(data)).metadata for data in (there, here))
    assert (meta_there.title, meta_there.creator) == (meta_here.title, meta_here.creator)
    assert meta_there.title and meta_there.creator.startswith("HITL Desktop")  # the dates are the clock's

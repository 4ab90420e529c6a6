"""Every Qt-free export format, read back with an independent reader: structure and text must survive."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import pytest
from export_samples import ORDINARY_MARKDOWN, UNICODE_MARKDOWN, parse_html, report
from markdown_it import MarkdownIt

from hitl_desktop.core import export
from hitl_desktop.core.errors import ErrorKind, UserFacingError


def test_every_core_format_is_offered_in_the_save_dialog() -> None:
    filters = export.name_filters()
    for suffix in (".md", ".html", ".docx", ".txt"):
        assert any(f.endswith(f"(*{suffix})") for f in filters)
        assert export.suffix_for_filter(next(f for f in filters if f.endswith(f"(*{suffix})"))) == suffix


def test_markdown_round_trip(tmp_path: Path) -> None:
    saved = export.save_report(tmp_path / "r.md", report())
    text = saved.read_text(encoding="utf-8")
    front, body = text.split("\n---\n\n", 1)
    assert 'topic: "Tidal power in Europe"' in front and "model: \"qwen-plus\"" in front
    tokens = MarkdownIt("commonmark").enable("table").parse(body)
    kinds = [t.type for t in tokens]
    assert kinds.count("heading_open") == 5 and "table_open" in kinds and "ordered_list_open" in kinds
    assert body == ORDINARY_MARKDOWN.rstrip() + "\n"


def test_html_round_trip(tmp_path: Path) -> None:
    saved = export.save_report(tmp_path / "r.html", report())
    page = parse_html(saved.read_text(encoding="utf-8"))
    assert "Tidal Power in Europe" in page.text("h1") and "Key findings" in page.text("h2")
    assert "MeyGen in Scotland is the largest array in operation." in page.text("li")
    assert "Swansea Bay lagoon" in page.text("td") and "Capacity (MW)" in page.text("th")
    assert ("a", {"href": "https://www.emec.org.uk/", "rel": "noopener noreferrer nofollow"}) in page.tags
    assert "lcoe = capex" in page.text("pre")
    assert ("ol", {"start": "3", "dir": "auto"}) in page.tags
    assert "qwen-plus" in page.text("header") and "2 research rounds" in page.text("header")
    styles = page.text("style")
    assert "@media print" in styles and "border-collapse" in styles
    # Self-contained: no stylesheet, script or font loaded from anywhere.
    assert not [tag for tag, attrs in page.tags if tag in ("link", "script", "img", "iframe")]


def test_docx_round_trip(tmp_path: Path) -> None:
    saved = export.save_report(tmp_path / "r.docx", report())
    document = docx.Document(str(saved))
    by_style = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 1", "Tidal Power in Europe") in by_style
    assert ("Heading 2", "Key findings") in by_style
    assert ("List Bullet", "MeyGen in Scotland is the largest array in operation.") in by_style
    assert ("List Bullet 2", "Its barrage changed the estuary's silt.") in by_style
    assert ("List Number", "Fund a second MeyGen phase.") in by_style
    assert ("Code Block", "lcoe = capex * crf / annual_mwh + opex_per_mwh") in by_style
    assert ("Quote", "Predictability is tidal power's strongest argument.") in by_style
    table = document.tables[0]
    assert [c.text for c in table.rows[0].cells] == ["Site", "Capacity (MW)", "Cost (EUR/MWh)"]
    assert table.rows[3].cells[0].text == "Swansea Bay lagoon"
    links = [(h.text, h.url) for p in document.paragraphs for h in p.hyperlinks]
    assert ("EMEC test centre", "https://www.emec.org.uk/") in links
    bold = [r.text for p in document.paragraphs for r in p.runs if r.bold]
    assert "costly" in bold
    assert document.core_properties.title == "Tidal Power in Europe"
    assert document.core_properties.subject == "Tidal power in Europe"


def test_docx_numbered_lists_restart_and_keep_their_start(tmp_path: Path) -> None:
    from hitl_desktop.core.export.docx import render_docx

    data = render_docx(report("1. a\n2. b\n\nText.\n\n7. c\n8. d\n"))
    document = docx.Document(io.BytesIO(data))
    num_ids = [p._p.pPr.numPr.numId.val for p in document.paragraphs if p.style.name == "List Number"]
    assert len(num_ids) == 4 and num_ids[0] == num_ids[1] != num_ids[2] == num_ids[3]
    numbering = document.part.numbering_part.element
    start = numbering.num_having_numId(num_ids[2]).lvlOverride_lst[0].startOverride.val
    assert start == 7


def test_plain_text_round_trip(tmp_path: Path) -> None:
    text = export.save_report(tmp_path / "r.txt", report()).read_text(encoding="utf-8")
    assert "Tidal Power in Europe\n=====================" in text
    assert "• MeyGen in Scotland is the largest array in operation." in text
    assert "3. Fund a second MeyGen phase." in text
    assert "Swansea Bay lagoon | 320" in text
    assert "EMEC test centre <https://www.emec.org.uk/>" in text
    assert "**" not in text and "|---" not in text


def test_unicode_survives_every_format(tmp_path: Path) -> None:
    unicode_report = report(UNICODE_MARKDOWN, topic="潮汐能 🌊 طاقة")
    words = ["潮汐能报告", "欧洲的潮汐能成本正在下降", "الملخص", "طاقة المد والجزر", "סיכום", "한국어", "苏格兰"]
    saved = export.save_all(tmp_path, "unicode", unicode_report)  # PDF: tests/ui/test_pdf_export.py
    assert [p.suffix for p in saved] == list(export.FORMATS)

    for suffix in (".md", ".txt"):
        text = (tmp_path / f"unicode{suffix}").read_text(encoding="utf-8")
        assert all(word in text for word in words) and "🌊" in text

    page = parse_html((tmp_path / "unicode.html").read_text(encoding="utf-8"))
    assert all(word in "".join(sum(page.text_in.values(), [])) for word in words)
    assert "🌊" in page.text("h1")
    assert ("h2", {"dir": "auto"}) in page.tags

    document = docx.Document(str(tmp_path / "unicode.docx"))
    cells = [cell.text for row in document.tables[0].rows for cell in row.cells]
    body = "\n".join([p.text for p in document.paragraphs] + cells)
    assert all(word in body for word in words) and "🌊" in body
    arabic = next(p for p in document.paragraphs if p.text.startswith("طاقة"))
    assert arabic._p.pPr.find("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}bidi") is not None


def test_unknown_suffix_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as caught:
        export.save_report(tmp_path / "r.odt", report())
    assert caught.value.kind is ErrorKind.BAD_INPUT and ".docx" in caught.value.hint
    assert export.format_for(Path("x.HTM")).suffix == ".html"


def test_a_renderer_crash_becomes_a_clear_error_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import hitl_desktop.core.export.docx as docx_module

    def broken(_report):  # type: ignore[no-untyped-def]
        raise KeyError("style")

    monkeypatch.setattr(docx_module, "render_docx", broken)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(UserFacingError) as caught:
        export.save_report(folder / "r.docx", report())
    assert "Word document" in caught.value.message and "still in the app" in caught.value.hint
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize(("env", "expected"), [
    ({"LC_PAPER": "en_US.UTF-8"}, "Letter"), ({"LANG": "fr_CA.UTF-8"}, "Letter"),
    ({"LANG": "de_DE.UTF-8"}, "A4"), ({"LC_ALL": "en_GB.UTF-8", "LANG": "en_US.UTF-8"}, "A4"),
])
def test_word_paper_size_follows_the_locale(env: dict[str, str], expected: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.core.export.docx import render_docx
    from hitl_desktop.core.export.page import default_page_size

    for name in ("LC_ALL", "LC_PAPER", "LC_MEASUREMENT", "LANG"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert default_page_size() == expected
    section = docx.Document(io.BytesIO(render_docx(report()))).sections[0]
    assert round(section.page_width.mm) == (216 if expected == "Letter" else 210)

"""How a report was made, in every Qt-free format: there when the switch is on, none of it when
off, never a key. Each file is read back with an independent reader (PDF: tests/ui)."""

from __future__ import annotations

import io
import zipfile
from dataclasses import replace
from pathlib import Path

import docx
import pytest
import yaml
from export_samples import APPENDIX, FEEDBACK, MADE, ORDINARY_MARKDOWN, PROVENANCE, made_report, parse_html, report

from hitl_desktop.core import export
from hitl_desktop.core.provenance import CitedDocument, Provenance
from hitl_desktop.core.redaction import register_secret

KEY = "sk-export-provenance-0123456789abcdef"


def docx_text(path: Path) -> str:
    document = docx.Document(str(path))
    props = document.core_properties
    meta = [props.author, props.comments, props.last_modified_by, props.keywords, props.category,
            props.version, props.content_status, props.subject, props.title]
    return "\n".join([p.text for p in document.paragraphs]
                     + [cell.text for table in document.tables for row in table.rows for cell in row.cells]
                     + [p.text for p in document.sections[0].footer.paragraphs] + meta)


def readable(path: Path) -> str:
    """Everything a reader of the file sees, whatever its format (PDF appears here only when the
    UI's PDF module was imported by another test and registered itself)."""
    if path.suffix == ".docx":
        return docx_text(path) + every_part_of(path)
    if path.suffix == ".pdf":
        import pypdf

        reader = pypdf.PdfReader(path)
        return "\n".join([page.extract_text() for page in reader.pages]
                         + [str(value) for value in (reader.metadata or {}).values()])
    return path.read_text(encoding="utf-8")


def every_part_of(path: Path) -> str:
    with zipfile.ZipFile(path) as archive:
        return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def test_markdown_front_matter_says_how_the_report_was_made(tmp_path: Path) -> None:
    text = export.save_report(tmp_path / "r.md", made_report()).read_text(encoding="utf-8")
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n\n", 1)
    data = yaml.safe_load(front)
    assert data["model"] == "qwen-plus" and data["research_rounds"] == 2
    made = data["provenance"]
    assert made["app_version"] == "0.1.0" and made["model"] == "DashScope · qwen-plus"
    assert made["temperature"] == 0.3 and made["max_tokens"] == 4096
    assert made["rounds"][0] == {"round": 1, "decision": "sent back", "feedback": FEEDBACK,
                                 "decided_at": "2026-11-25T14:30:00+00:00", "edited": False,
                                 "lines_added": 0, "lines_removed": 0}
    assert made["rounds"][1]["decision"] == "approved" and made["rounds"][1]["edited"] is True
    assert made["rounds"][1]["reviewer"] == "Ada Lovelace"
    assert (made["rounds"][1]["lines_added"], made["rounds"][1]["lines_removed"]) == (3, 1)
    assert made["documents"] == [{"title": "Tidal Atlas 2025", "source": "/docs/tidal-atlas.pdf"},
                                 {"title": "Ofgem tidal review", "source": "https://www.ofgem.gov.uk/tidal"}]
    assert Provenance.from_dict(made) == PROVENANCE
    assert body == ORDINARY_MARKDOWN.rstrip() + "\n"


def test_html_has_the_appendix_after_the_report(tmp_path: Path) -> None:
    text = export.save_report(tmp_path / "r.html", made_report()).read_text(encoding="utf-8")
    page = parse_html(text)
    appendix = page.text("section")
    assert all(mark in appendix for mark in APPENDIX), [m for m in APPENDIX if m not in appendix]
    assert text.index("</main>") < text.index('<section class="how-made"')
    assert "How this report was made" in page.text("h2")
    # The feedback is shown as typed: no markup of its own, no link.
    assert '"Sihwa" & #2 <b>[more](javascript:x)</b>' in appendix
    assert not [tag for tag, _ in page.tags if tag in ("b", "script")]
    assert not [attrs for tag, attrs in page.tags if tag == "a" and "javascript" in str(attrs.get("href"))]


def test_word_has_the_appendix_and_says_it_in_the_document_properties(tmp_path: Path) -> None:
    saved = export.save_report(tmp_path / "r.docx", made_report())
    document = docx.Document(str(saved))
    by_style = [(p.style.name, p.text) for p in document.paragraphs]
    assert ("Heading 2", "How this report was made") in by_style
    assert ("Heading 3", "Research rounds") in by_style
    assert any(style == "List Bullet" and text.startswith("Round 1: sent back") for style, text in by_style)
    text = docx_text(saved)
    assert all(mark in text for mark in APPENDIX)
    props = document.core_properties
    assert props.version == "0.1.0" and props.author == "HITL Desktop 0.1.0"
    assert "DashScope · qwen-plus" in props.comments and "2 reviewed research rounds (1 sent back)" in props.comments
    assert "notes edited by the reviewer" in props.comments


def test_plain_text_has_the_appendix_at_the_end(tmp_path: Path) -> None:
    text = export.save_report(tmp_path / "r.txt", made_report()).read_text(encoding="utf-8")
    assert all(mark in text for mark in APPENDIX)
    assert text.index("Data from the EMEC register") < text.index("How this report was made\n-----")
    assert "\\" not in text  # the escaping never shows


@pytest.mark.parametrize("suffix", [".md", ".html", ".docx", ".txt"])
def test_with_the_switch_off_no_format_says_how_or_where_the_report_was_made(tmp_path: Path, suffix: str) -> None:
    saved = export.save_report(tmp_path / f"r{suffix}", made_report(), provenance=False)
    if suffix == ".docx":
        text = docx_text(saved)
        props = docx.Document(str(saved)).core_properties
        assert props.title == "Tidal Power in Europe" and not props.author and not props.comments
        # Nothing in any part of the file either, but the date it was created (as any file has).
        raw = every_part_of(saved)
        assert not [mark for mark in MADE if mark in raw and mark != "2026-11-25"]
    else:
        text = saved.read_text(encoding="utf-8")
    found = [mark for mark in MADE if mark in text]
    assert not found, found
    assert "Tidal Power in Europe" in text and "MeyGen" in text  # the report itself is all there
    if suffix == ".md":
        assert text == ORDINARY_MARKDOWN.rstrip() + "\n"
    if suffix == ".html":
        assert not [attrs for tag, attrs in parse_html(text).tags if attrs.get("name") == "generator"]


def test_a_report_without_provenance_is_saved_as_before(tmp_path: Path) -> None:
    plain, made = report(), made_report()
    for suffix in (".md", ".html", ".txt"):
        without = export.save_report(tmp_path / f"plain{suffix}", plain).read_text(encoding="utf-8")
        assert "How this report was made" not in without and "provenance:" not in without
        off = export.save_report(tmp_path / f"off{suffix}", made, provenance=False).read_text(encoding="utf-8")
        assert off == export.save_report(tmp_path / f"plain-off{suffix}", plain,
                                         provenance=False).read_text(encoding="utf-8")


def test_save_all_passes_the_switch_to_every_format(tmp_path: Path) -> None:
    saved = export.save_all(tmp_path, "tidal", made_report(), provenance=False)
    for path in saved:
        text = readable(path)
        assert "How this report was made" not in text and "qwen-plus" not in text, path.name


def test_no_key_reaches_any_file_even_pasted_into_feedback_or_a_model_name(tmp_path: Path) -> None:
    register_secret(KEY)
    leaky = replace(PROVENANCE, model=f"DashScope · qwen-plus {KEY}",
                    rounds=(replace(PROVENANCE.rounds[0], feedback=f"my key is {KEY}"), PROVENANCE.rounds[1]),
                    documents=(CitedDocument("Atlas", f"https://x.org/a?key={KEY}"),))
    for path in export.save_all(tmp_path, "leaky", replace(report(), provenance=leaky)):
        text = readable(path)
        assert KEY not in text, path.name
        assert "[redacted]" in text, path.name


def test_renderers_take_the_switch_directly() -> None:
    from hitl_desktop.core.export.docx import render_docx
    from hitl_desktop.core.export.html import render_html
    from hitl_desktop.core.export.markdown import render_markdown
    from hitl_desktop.core.export.text import render_text

    assert "\nprovenance:\n" in render_markdown(made_report())
    for render in (render_html, render_text):
        assert "How this report was made" in render(made_report())
    for render in (render_markdown, render_html, render_text):
        assert "qwen-plus" not in render(made_report(), provenance=False)
    document = docx.Document(io.BytesIO(render_docx(made_report(), provenance=False)))
    assert not any("How this report was made" in p.text for p in document.paragraphs)


def test_a_named_reviewer_is_in_the_appendix_and_the_front_matter(tmp_path: Path) -> None:
    """Team mode: each decision names who made it; unnamed ones (the app alone) stay as they were."""
    first, second = PROVENANCE.rounds
    named = replace(PROVENANCE, rounds=(first, replace(second, reviewer="Ana Ruiz")))
    made = replace(made_report(), provenance=named)
    text = export.save_report(tmp_path / "r.md", made).read_text(encoding="utf-8")
    rounds = yaml.safe_load(text[4:].split("\n---\n\n", 1)[0])["provenance"]["rounds"]
    assert "reviewer" not in rounds[0] and rounds[1]["reviewer"] == "Ana Ruiz"
    assert Provenance.from_dict(yaml.safe_load(text[4:].split("\n---\n\n", 1)[0])["provenance"]) == named
    appendix = export.save_report(tmp_path / "r.txt", made).read_text(encoding="utf-8")
    assert "Round 2: approved by Ana Ruiz on" in appendix and "Round 1: sent back on" in appendix

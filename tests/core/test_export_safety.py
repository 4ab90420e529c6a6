"""Untrusted model output in exports, hostile topics as file names, and failures mid-write."""

from __future__ import annotations

import errno
import os
import re
from datetime import datetime
from pathlib import Path

import pytest
from export_samples import MALICIOUS_MARKDOWN, parse_html, report

from hitl_desktop.core import atomic_file, export
from hitl_desktop.core.errors import ErrorKind, UserFacingError

# Everything the HTML export may contain; anything else (script, img, iframe, style in the body,
# object, form…) means raw HTML got through.
_ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "header", "footer", "main", "dl",
                 "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "ul", "ol", "li", "em",
                 "strong", "s", "code", "pre", "blockquote", "hr", "br", "table", "thead", "tbody",
                 "tr", "th", "td"}
_URL_ATTRIBUTES = {"href", "src", "action", "formaction", "srcset", "poster", "background"}


def test_malicious_report_yields_inert_html(tmp_path: Path) -> None:
    text = export.save_report(tmp_path / "m.html", report(MALICIOUS_MARKDOWN)).read_text(encoding="utf-8")
    page = parse_html(text)
    assert {tag for tag, _ in page.tags} <= _ALLOWED_TAGS
    assert [tag for tag, _ in page.tags].count("style") == 1  # ours, in <head>
    for tag, attrs in page.tags:
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in _URL_ATTRIBUTES:
                assert name == "href" and re.match(r"^(https?:|mailto:|#)", value or ""), (tag, name, value)
    # The raw HTML is shown as text, and nothing after the <script> is lost.
    paragraphs = page.text("p")
    assert "<script>alert('xss')</script>" in paragraphs
    assert '<img src="http://evil.example/pixel.png" onerror="alert(1)">' in paragraphs
    assert "[innocent link](javascript:alert(3))" in paragraphs
    assert "Text after the script must survive." in paragraphs
    # The remote image is a plain link, never loaded, and a CSP forbids any fetch anyway.
    assert ("a", {"href": "http://evil.example/track.png", "class": "image-link",
                  "rel": "noopener noreferrer nofollow"}) in page.tags
    csp = [attrs["content"] for tag, attrs in page.tags
           if tag == "meta" and attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_unsafe_links_are_not_linked_in_any_format(tmp_path: Path) -> None:
    import docx

    from hitl_desktop.core.export.parsing import is_safe_link

    for url in ("javascript:alert(1)", "JaVaScRiPt:alert(1)", "java\tscript:x", " javascript:x",
                "data:text/html,x", "vbscript:x", "file:///etc/passwd"):
        assert not is_safe_link(url), url
    for url in ("https://example.org/a?b=1", "http://x.y", "mailto:a@b.c", "#section"):
        assert is_safe_link(url), url
    saved = export.save_report(tmp_path / "m.docx", report(MALICIOUS_MARKDOWN))
    document = docx.Document(str(saved))
    urls = [h.url for p in document.paragraphs for h in p.hyperlinks]
    assert urls == ["http://evil.example/track.png"]  # the image, as a link; nothing else
    assert "Text after the script must survive." in "\n".join(p.text for p in document.paragraphs)


HOSTILE_TOPICS = [
    'a/b\\c:d*e?f"g<h>i|j',
    "../../etc/passwd",
    "CON",
    "con.txt",
    "LPT1 printer",
    "report\u202efdp.exe",
    "🌊" * 500,
    "x" * 500,
    "   ...   ",
    "tab\tnew\nline\x00nul",
    "潮汐能 — طاقة المد 🌊",
]


@pytest.mark.parametrize("topic", HOSTILE_TOPICS)
def test_suggested_filename_is_safe_everywhere(topic: str, tmp_path: Path) -> None:
    name = export.suggested_filename(topic, datetime(2026, 11, 25), ".docx")
    assert name.endswith("-2026-11-25.docx")
    assert not re.search(r'[\\/:*?"<>|\x00-\x1f\u202e]', name)
    assert len(name) <= 100 and len(name.encode("utf-8")) <= 200
    assert not name.startswith((".", "-"))
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL", "LPT1", "COM1"}
    # And the file system agrees: the name can be created as given.
    export.save_report(tmp_path / name, report())
    assert (tmp_path / name).is_file()


def test_suggested_filename_keeps_readable_unicode() -> None:
    assert export.suggested_filename("潮汐能 — طاقة 🌊", datetime(2026, 1, 2)) == "潮汐能-—-طاقة-🌊-2026-01-02.md"
    assert export.suggested_filename("Tidal power: costs, sites; outlook", datetime(2026, 1, 2)) \
        == "Tidal-power-costs-sites-outlook-2026-01-02.md"


@pytest.mark.parametrize(("breaks", "code", "says"), [
    ("fsync", errno.ENOSPC, "is full"),
    ("replace", errno.EACCES, "permission"),
    ("replace", errno.EROFS, "read-only"),
])
def test_failure_mid_write_keeps_the_old_file_and_leaves_no_temp(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, breaks: str, code: int, says: str) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    target = folder / "report.html"
    target.write_text("the previous report", encoding="utf-8")

    def fail(*_args: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic_file.os, breaks, fail)
    with pytest.raises(UserFacingError) as caught:
        export.save_report(target, report())
    assert caught.value.kind is ErrorKind.IO
    assert says in caught.value.message and "still in the app" in caught.value.hint
    assert target.read_text(encoding="utf-8") == "the previous report"
    assert [p.name for p in folder.iterdir()] == ["report.html"]


def test_missing_folder_and_too_long_name_are_clear(tmp_path: Path) -> None:
    with pytest.raises(UserFacingError) as caught:
        export.save_report(tmp_path / "no-such-folder" / "r.md", report())
    assert "does not exist" in caught.value.message
    with pytest.raises(UserFacingError) as caught:
        export.save_report(tmp_path / ("x" * 300 + ".md"), report())
    assert "too long" in caught.value.message


def test_export_all_stops_at_a_failure_leaving_complete_files_only(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace = os.replace

    def full_disk_on_word(src: str, dst: str) -> None:
        if str(dst).endswith(".docx"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_replace(src, dst)

    folder = tmp_path / "all"
    folder.mkdir()
    monkeypatch.setattr(atomic_file.os, "replace", full_disk_on_word)
    with pytest.raises(UserFacingError, match="is full"):
        export.save_all(folder, "tidal", report())
    before_word = list(export.FORMATS)[:list(export.FORMATS).index(".docx")]
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"tidal{suffix}" for suffix in before_word)
    assert "Tidal Power in Europe" in (folder / "tidal.html").read_text(encoding="utf-8")

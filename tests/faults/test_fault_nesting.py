"""Nesting no parser expects: lists and quotes deeper than markdown-it's limit.

markdown-it stops at ten levels of lists (twenty of quotes) and silently drops the rest of the
document; every export but Markdown lost it. Deeper levels are now flattened: every word must
reach every format (Markdown, HTML, PDF, Word, plain text).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from export_samples import report
from export_text import missing_words, saved_texts

# ----- nesting beyond the parser's limit --------------------------------------------------------


def _nested(depth: int, word: str, markers: tuple[str, ...] = ("- ",)) -> str:
    """A list `depth` levels deep, each item indented to its parent's content."""
    lines, indent = [], 0
    for level in range(depth):
        marker = markers[level % len(markers)]
        lines.append(" " * indent + f"{marker}{word}{level}word")
        indent += len(marker)
    return "\n".join(lines)


NESTED = {
    "bullets-14": _nested(14, "bullet"),
    "numbered-12": _nested(12, "numbered", ("1. ",)),
    "mixed-16": _nested(16, "mixed", ("- ", "1. ", "* ", "1) ")),
    "quotes-30": "".join(">" for _ in range(30)) + " quoted29word\n" + "".join(">" for _ in range(30))
                 + " quotedlazyword",
    "quoted-list-12": "\n".join("> " + line for line in _nested(12, "inquote").split("\n")),
}


@pytest.mark.parametrize("shape", list(NESTED))
def test_every_word_of_a_deeply_nested_block_reaches_every_format(app, tmp_path: Path, shape: str) -> None:  # type: ignore[no-untyped-def]
    import hitl_desktop.ui.pdf_export  # noqa: F401 - registers .pdf

    markdown = f"# Deep\n\n{NESTED[shape]}\n\nTrailing aftermathword paragraph.\n\n## Later sectionword\n"
    words = sorted({w for w in markdown.replace("#", " ").split() if w.endswith("word")})
    texts = saved_texts(tmp_path, "deep", report(markdown))
    assert set(texts) == {".md", ".html", ".pdf", ".docx", ".txt"}
    assert missing_words(words, texts) == {}



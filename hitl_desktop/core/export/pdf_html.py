"""The HTML a report's PDF is laid out from: the provenance line, the body, the appendix.

Written for Qt's rich-text importer (`body_html(for_qt=True)`), which the UI's PDF export
(`hitl_desktop.ui.pdf_export`) styles, lays out and paints. It is plain Python, so any process
can make it: for a long report, the process rendering the Qt-free formats makes it part by part
while the PDF's process starts Qt and lays out the parts already made (`render_process`).
"""

from __future__ import annotations

import html
from collections.abc import Iterator

from hitl_desktop.core.models import Report

# The Markdown parser is imported by the functions, not here: the app registers the PDF with
# `document_pieces` at start-up, and the window's first frame does not need the parser.

# Parts of about this many characters of Markdown (14 pages): small enough that Qt starts early,
# large enough that adding each costs little.
PIECE_CHARS = 40_000


def document_html(report: Report, *, provenance: bool = True) -> str:
    """The whole document at once."""
    from hitl_desktop.core.export.html import body_html

    before, after = _around_body(report, provenance)
    return f"<html><body>{before}{body_html(report.markdown, for_qt=True)}{after}</body></html>"


def document_pieces(report: Report, provenance: bool, *, piece_chars: int = PIECE_CHARS) -> Iterator[str]:
    """The document in pieces, each a document of its own that begins with a heading (all but
    the first), the report cut by `split_at_headings`: laid out one after another they make what
    `document_html` makes. Within `parsing.shared_parses` the report's tokens are then the
    parts' joined, so the other formats saved with it do not parse it again."""
    from hitl_desktop.core.export.html import body_html
    from hitl_desktop.core.export.parsing import share_joined
    from hitl_desktop.core.export.sections import split_at_headings

    before, after = _around_body(report, provenance)
    sections = split_at_headings(report.markdown, at_least=piece_chars)
    for index, section in enumerate(sections):
        first, last = index == 0, index == len(sections) - 1
        # Each between the same <body> as the whole, so the stylesheet's `body` rule applies.
        yield (f"<html><body>{before if first else ''}{body_html(section, for_qt=True)}"
               f"{after if last else ''}</body></html>")
    share_joined(report.markdown, sections)


def _around_body(report: Report, provenance: bool) -> tuple[str, str]:
    """The HTML before the report's body (the provenance line) and after it (the appendix)."""
    from hitl_desktop.core.export.appendix import appendix_markdown
    from hitl_desktop.core.export.html import body_html
    from hitl_desktop.core.export.report_facts import provenance_items

    if not provenance:
        return "", ""
    line = " · ".join(f"{label}: {value}" if label in ("Topic", "Model") else value
                      for label, value in provenance_items(report) if label != "Generator")
    appendix = ""
    if report.provenance is not None:
        appendix = (f'<hr/><div class="how-made">'
                    f"{body_html(appendix_markdown(report.provenance), for_qt=True)}</div>")
    return f'<p class="meta">{html.escape(line)}</p><hr/>', appendix

"""What every export format says about a report besides its text: its title and where it came from.

Apart from the Markdown parser (`parsing`): the PDF's second process needs these, and only
these, before Qt lays out the HTML another process made, and the parser takes 28 ms to import.
"""

from __future__ import annotations

from hitl_desktop.core.models import Report


def report_title(report: Report) -> str:
    for line in report.markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip() or report.topic
    return report.topic


def provenance_items(report: Report) -> list[tuple[str, str]]:
    """Label/value pairs naming where the report came from, for headers and document metadata."""
    from hitl_desktop import __version__

    items = [("Topic", report.topic),
             ("Created", report.created_at.astimezone().strftime("%Y-%m-%d %H:%M"))]
    if report.model:
        items.append(("Model", report.model))
    rounds = f"{report.rounds} research round{'s' if report.rounds != 1 else ''}"
    items.append(("Research", rounds))
    items.append(("Generator", f"HITL Desktop {__version__}"))
    return items

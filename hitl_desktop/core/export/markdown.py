"""Markdown export: the report as written, under a provenance front matter: where it came from
and, when the report carries its provenance, how it was made (rounds, decisions, settings,
documents). The person saving may leave all of it out."""

from __future__ import annotations

import json

from hitl_desktop import __version__
from hitl_desktop.core.export.appendix import front_matter_lines
from hitl_desktop.core.models import Report


def front_matter(report: Report) -> str:
    # JSON strings are valid YAML scalars, so any topic (quotes, colons, newlines) stays intact.
    fields = {
        "title": _title(report),
        "topic": report.topic,
        "created": report.created_at.isoformat(timespec="seconds"),
        "model": report.model,
        "research_rounds": report.rounds,
        "generator": f"HITL Desktop {__version__}",
    }
    lines = [f"{key}: {json.dumps(value, ensure_ascii=False)}" for key, value in fields.items()]
    if report.provenance is not None:
        lines += front_matter_lines(report.provenance)
    return "---\n" + "\n".join(lines) + "\n---\n\n"


def render_markdown(report: Report, *, provenance: bool = True) -> str:
    body = report.markdown.rstrip() + "\n"
    return front_matter(report) + body if provenance else body


def _title(report: Report) -> str:
    for line in report.markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip()
    return report.topic

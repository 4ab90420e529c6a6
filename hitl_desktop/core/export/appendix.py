"""A report's provenance as the export formats show it: a Markdown appendix ("How this report was
made") that HTML, PDF, Word and plain text render with the report's own parser, and the nested
front-matter block Markdown files carry instead.

Everything the reviewer or a model wrote (feedback, titles, the model's name) is escaped, so it
shows as typed and never becomes markup, and is redacted once more on its way out.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hitl_desktop.core.provenance import Provenance, RoundRecord

APPENDIX_TITLE = "How this report was made"

# CommonMark lets a backslash escape any ASCII punctuation character.
_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")


def escape_markdown(text: str) -> str:
    """`text` as literal Markdown inline text: no markup, one line."""
    return _PUNCTUATION.sub(r"\\\1", " ".join(text.split()))


def appendix_markdown(provenance: Provenance) -> str:
    """The appendix as Markdown, headed "## How this report was made"."""
    made = provenance.redacted()
    lines = [f"## {APPENDIX_TITLE}", ""]
    tool = escape_markdown(made.generator)
    if made.model:
        settings = f" ({escape_markdown(made.settings_summary)})" if made.settings_summary else ""
        lines.append(f"Researched and written with {tool}, using {escape_markdown(made.model)}{settings}.")
    else:
        lines.append(f"Researched and written with {tool}.")
    lines.append("")
    if made.rounds:
        lines += ["### Research rounds", ""]
        lines += [f"- {_round_line(record)}" for record in made.rounds]
        lines.append("")
    if made.documents:
        lines += ["### Documents cited", ""]
        for document in made.documents:
            title = escape_markdown(document.title or document.source)
            where = f" — {escape_markdown(document.source)}" if document.source != document.title else ""
            lines.append(f"- {title}{where}")
        lines.append("")
    return "\n".join(lines)


def _round_line(record: RoundRecord) -> str:
    when = record.decided_at.astimezone().strftime("%Y-%m-%d %H:%M")
    by = f" by {escape_markdown(record.reviewer)}" if record.reviewer else ""
    line = f"**Round {record.round}: {record.decision}**{by} on {when}"
    if record.edited:
        line += (f", after the reviewer edited the notes ({record.lines_added} "
                 f"line{'s' if record.lines_added != 1 else ''} added, {record.lines_removed} removed)")
    line += "."
    if record.feedback:
        line += f" Feedback: “{escape_markdown(record.feedback)}”"
    return line


def front_matter_lines(provenance: Provenance) -> list[str]:
    """A `provenance:` block for YAML front matter. Every string is a JSON string, which YAML
    reads as the same string, so quotes, colons and newlines in feedback stay intact."""
    made = provenance.redacted()
    lines = ["provenance:", f"  app_version: {_scalar(made.app_version)}", f"  model: {_scalar(made.model)}"]
    if made.temperature is not None:
        lines.append(f"  temperature: {_scalar(made.temperature)}")
    if made.max_tokens is not None:
        lines.append(f"  max_tokens: {_scalar(made.max_tokens)}")
    lines.append("  rounds:" + ("" if made.rounds else " []"))
    for record in made.rounds:
        fields = record.to_dict()
        first, *rest = fields.items()
        lines.append(f"    - {first[0]}: {_scalar(first[1])}")
        lines += [f"      {key}: {_scalar(value)}" for key, value in rest]
    lines.append("  documents:" + ("" if made.documents else " []"))
    for document in made.documents:
        lines.append(f"    - title: {_scalar(document.title)}")
        lines.append(f"      source: {_scalar(document.source)}")
    return lines


def _scalar(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)

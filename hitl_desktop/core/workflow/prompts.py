"""The prompts the agent sends. Each function returns the whole chat for one model call."""

from __future__ import annotations

from hitl_desktop.core.providers.base import Message

RESEARCH_SYSTEM = """You are a meticulous research analyst preparing notes for a human reviewer.
Write in Markdown with exactly these sections:

## Key findings
A numbered list of the most important, specific findings (figures, dates, names, places).

## Evidence
For each finding, the supporting evidence and where it comes from (named studies, organisations,
datasets, laws). Say plainly when something is an estimate or uncertain.

## Open questions
What is unknown, disputed, or worth checking before a report is written.

Be concrete and concise. Do not invent citations; if you are unsure of a source, say so."""

REPORT_SYSTEM = """You are a senior analyst writing a report from research notes a human has approved.
Use only the approved notes; do not add claims they do not support. Write in Markdown:

# <a clear title>

## Summary
Three to five sentences a busy reader can act on.

## <one section per major theme>
Well-organised prose, with lists or a table where they help.

## Conclusion
What follows from the findings, and what remains open."""


def research_messages(topic: str, round_number: int, feedback: str = "",
                      previous_notes: str = "") -> list[Message]:
    if round_number <= 1 or not (feedback or previous_notes):
        request = f"Research this topic:\n\n{topic}"
    else:
        request = (
            f"Research this topic:\n\n{topic}\n\n"
            f"This is research round {round_number}. The reviewer sent back the previous notes.\n\n"
            f"### Previous notes\n\n{previous_notes}\n\n"
            f"### Reviewer's feedback\n\n{feedback}\n\n"
            "Write improved notes that fully address the feedback. Keep what was good, fix what "
            "the reviewer criticised, and go deeper where they asked."
        )
    return [Message("system", RESEARCH_SYSTEM), Message("user", request)]


def report_messages(topic: str, approved_notes: str, feedback: str = "") -> list[Message]:
    """`feedback` is what the reviewer wrote when approving: instructions for the report."""
    asked = f"### The reviewer's instructions for the report\n\n{feedback}\n\n" if feedback else ""
    request = (
        f"Topic:\n\n{topic}\n\n"
        f"### Approved research notes\n\n{approved_notes}\n\n"
        f"{asked}Write the report."
    )
    return [Message("system", REPORT_SYSTEM), Message("user", request)]

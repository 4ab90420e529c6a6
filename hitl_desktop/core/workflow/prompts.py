"""The prompts the agent sends. Each function returns the whole chat for one model call."""

from __future__ import annotations

from collections.abc import Sequence

from hitl_desktop.core.citations import Citation
from hitl_desktop.core.providers.base import Message

CITING = """Every claim must cite the numbered source it comes from with its marker, e.g. [2] or
[1, 3]. Use only the sources given below; cite nothing that is not among them. When you quote,
quote word for word in double quotes followed by the marker: "the exact words" [2]. If the
sources do not answer part of the topic, say so in Open questions instead of guessing."""

NO_SOURCES = """No sources matched this topic, so nothing can be cited. Say so at the top of the
notes, keep to what is widely established, and mark every claim as unsourced."""

WEB_SEARCH = """You can also search the web. Besides the sources below, you may use the pages your
search finds: cite each with the marker the search gives it, e.g. [ref_1], never with a number of
the sources below. Paraphrase web pages rather than quote them: a quote from the web cannot be
checked against the page."""

WEB_ONLY = """No passage of the reviewer's documents matched this topic: research it on the web.
Cite each page your search finds with the marker the search gives it, e.g. [ref_1]. Paraphrase
web pages rather than quote them: a quote from the web cannot be checked against the page."""

RESEARCH_SYSTEM = """You are a meticulous research analyst preparing notes for a human reviewer.
Write in Markdown with exactly these sections:

## Key findings
A numbered list of the most important, specific findings (figures, dates, names, places).

## Evidence
For each finding, the supporting evidence and where it comes from (named studies, organisations,
datasets, laws). Say plainly when something is an estimate or uncertain.

## Open questions
What is unknown, disputed, or worth checking before a report is written.

Be concrete and concise. Do not invent sources."""

REPORT_SYSTEM = """You are a senior analyst writing a report from research notes a human has approved.
Use only the approved notes; do not add claims they do not support. Keep the notes' source markers
([1], [2, 3]) on the claims they support; do not write a References section, it is added for you.
Write in Markdown:

# <a clear title>

## Summary
Three to five sentences a busy reader can act on.

## <one section per major theme>
Well-organised prose, with lists or a table where they help.

## Conclusion
What follows from the findings, and what remains open."""


def sources_block(citations: Sequence[Citation]) -> str:
    """The numbered sources as the model sees them."""
    blocks = []
    for c in citations:
        where = f" — {c.location}" if c.location else ""
        # A web page has no passage, only its address (a pinned page from an earlier round).
        body = f"\n{c.text}" if c.text else (f"\n{c.source}" if c.is_web else "")
        blocks.append(f"[{c.number}] {c.title}{where}{body}")
    return "\n\n".join(blocks)


def research_messages(topic: str, round_number: int, feedback: str = "", previous_notes: str = "",
                      citations: Sequence[Citation] = (), *, web_search: bool = False) -> list[Message]:
    """`web_search`: the model searches the web for this call and cites pages as [ref_1]."""
    web = f"{WEB_SEARCH}\n\n" if web_search else ""
    grounding = (f"{CITING}\n\n{web}### Sources\n\n{sources_block(citations)}" if citations
                 else WEB_ONLY if web_search else NO_SOURCES)
    if round_number <= 1 or not (feedback or previous_notes):
        request = f"Research this topic:\n\n{topic}\n\n{grounding}"
    else:
        request = (
            f"Research this topic:\n\n{topic}\n\n"
            f"This is research round {round_number}. The reviewer sent back the previous notes.\n\n"
            f"### Previous notes\n\n{previous_notes}\n\n"
            f"### Reviewer's feedback\n\n{feedback}\n\n"
            "Write improved notes that fully address the feedback. Keep what was good, fix what "
            f"the reviewer criticised, and go deeper where they asked.\n\n{grounding}"
        )
    return [Message("system", RESEARCH_SYSTEM), Message("user", request)]


def report_messages(topic: str, approved_notes: str, feedback: str = "",
                    citations: Sequence[Citation] = ()) -> list[Message]:
    """`feedback` is what the reviewer wrote when approving: instructions for the report."""
    asked = f"### The reviewer's instructions for the report\n\n{feedback}\n\n" if feedback else ""
    sources = f"### Sources the notes cite\n\n{sources_block(citations)}\n\n" if citations else ""
    request = (
        f"Topic:\n\n{topic}\n\n"
        f"### Approved research notes\n\n{approved_notes}\n\n"
        f"{sources}{asked}Write the report."
    )
    return [Message("system", REPORT_SYSTEM), Message("user", request)]

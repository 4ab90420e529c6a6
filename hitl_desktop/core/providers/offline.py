"""The offline engine: research and report from the user's documents with no language model.

It is the embedded default, used when no model is set up (no key, no server) or when chosen.
Research notes quote the retrieved passages verbatim, grouped by document, each with its
citation; the report is an extractive, structured document built from the approved (possibly
edited) notes, ending with References. It is deterministic and says plainly what it is.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Sequence

from hitl_desktop.core.citations import Citation, sources_by_document
from hitl_desktop.core.providers.base import Message, NoticeCallback, Usage
from hitl_desktop.core.settings import OFFLINE_DESCRIPTION
from hitl_desktop.core.web_citations import WebSource

DESCRIPTION = OFFLINE_DESCRIPTION
RESEARCH_NOTE = ("> **Offline, extractive research.** These notes quote the passages of your documents "
                 "that best match the topic, word for word; no language model wrote them.")
REPORT_NOTE = ("*Offline, extractive report: built from the approved research notes and the passages "
               "they cite; no language model wrote it.*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"“(\[]?[A-Z0-9])")
_WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
_FIGURE = re.compile(r"\d")
_STOPWORDS = frozenset("""the and for are but not you all any can had her was one our out has him his how
its may new now old see two who boy did get let put say she too use that with have this will your from
they know want been good much some time very when come here just like long make many more only over such
take than them well were what which while into most other also about there their these those would could
should after before where between under since does each""".split())
_QUOTES_PER_PASSAGE = 2


class OfflineEngine:
    """Satisfies ChatModel (Test Connection works, with nothing to connect to) and writes grounded
    research and reports itself (`research_notes`, `report`)."""

    description = DESCRIPTION

    def __init__(self) -> None:
        self.on_notice: NoticeCallback | None = None
        self.last_usage = Usage()
        # No web search: the offline engine works from the user's documents alone.
        self.web_search_enabled = False
        self.use_web_search = False
        self.last_web_sources: tuple[WebSource, ...] = ()

    async def stream_chat(self, messages: Sequence[Message]) -> AsyncIterator[str]:
        yield "The offline engine is ready: it needs no key and no network."

    async def research_notes(self, topic: str, citations: Sequence[Citation], *, round_number: int = 1,
                             feedback: str = "") -> AsyncIterator[str]:
        async for piece in _paced(research_notes(topic, citations, round_number=round_number,
                                                 feedback=feedback)):
            yield piece

    async def report(self, topic: str, notes: str, citations: Sequence[Citation], *,
                     feedback: str = "") -> AsyncIterator[str]:
        async for piece in _paced(report(topic, notes, citations, feedback=feedback)):
            yield piece


def research_notes(topic: str, citations: Sequence[Citation], *, round_number: int = 1,
                   feedback: str = "") -> str:
    lines = ["## Key findings", "", RESEARCH_NOTE, ""]
    if feedback.strip() and round_number > 1:
        lines += [f"Round {round_number} searched again with your feedback: “{_one_line(feedback)}”.", ""]
    if not citations:
        lines += ["Nothing in your documents matches this topic. Add documents that cover it "
                  "(File → Add Documents…), or reword the topic.", ""]
        return "\n".join(lines)
    query = _terms(f"{topic} {feedback}")
    for source, cited in sources_by_document(citations).items():
        lines += [f"### {cited[0].title}", ""]
        for citation in cited:
            where = f"{citation.location}: " if citation.location and citation.location != citation.title else ""
            lines.append(f"- {where}“{_best_sentences(citation.text, query)}” [{citation.number}]")
        lines.append("")
    lines += ["## Open questions", "",
              "- The passages were chosen by how well their words match the topic; read them in "
              "their documents before relying on them.",
              "- Drop sources that do not belong, or send the notes back with what is missing: "
              "the next round searches again with your words.", ""]
    return "\n".join(lines)


def report(topic: str, notes: str, citations: Sequence[Citation], *, feedback: str = "") -> str:
    sections = _sections(notes)
    key_points = [_first_sentence(item) for _title, items in sections for item in items if _is_quote(item)][:5]
    lines = [f"# {_one_line(topic)}", "", REPORT_NOTE, ""]
    if feedback.strip():
        lines += [f"Your instructions for the report (“{_one_line(feedback)}”) need a language model; "
                  "the offline engine keeps the approved notes as they are.", ""]
    if key_points:
        lines += ["## Key points", "", *(f"- {point}" for point in key_points), ""]
    for title, items in sections:
        lines += [f"## {title}", "", *items, ""]
    return "\n".join(lines)  # the workflow adds References for every marker used


def _sections(notes: str) -> list[tuple[str, list[str]]]:
    """The approved notes as (title, lines) sections: each '### Document' group becomes one, and
    text outside them stays under 'Notes'. The offline boilerplate is left out."""
    sections: list[tuple[str, list[str]]] = []
    current: list[str] = []
    title = "Notes"
    for raw in notes.splitlines():
        line = raw.rstrip()
        if line.startswith("### ") or line.startswith("## "):
            if any(item.strip() for item in current):
                sections.append((title, _trim(current)))
            title, current = line.lstrip("#").strip(), []
            continue
        if line.startswith(">") and "Offline, extractive" in line:
            continue
        current.append(line)
    if any(item.strip() for item in current):
        sections.append((title, _trim(current)))
    return [(t, items) for t, items in sections if t not in ("Key findings", "Open questions")
            or any(_is_quote(item) for item in items)]


def _trim(lines: list[str]) -> list[str]:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return lines


def _is_quote(item: str) -> bool:
    return item.lstrip().startswith("- ") and "[" in item


def _first_sentence(item: str) -> str:
    """A key point: the bullet's quote cut to its first sentence, keeping its marker."""
    text = item.lstrip()[2:]
    marker = re.search(r"\s*(\[[\d,\s–-]+\])\s*$", text)
    cite = f" {marker.group(1)}" if marker else ""
    body = text[:marker.start()] if marker else text
    body = re.sub(r"^[^“\"]{0,120}?:\s*(?=[“\"])", "", body)  # "Costs: “…”": the quote without its place
    body = body.split(" … ")[0]  # the first of the quoted sentences
    first = _SENTENCE_END.split(body.strip(" “”\""), maxsplit=1)[0].strip(" “”\"")
    return f"{first}{cite}"


def _best_sentences(text: str, query: set[str]) -> str:
    sentences = [s.strip() for s in _SENTENCE_END.split(" ".join(text.split())) if s.strip()]
    if len(sentences) <= _QUOTES_PER_PASSAGE:
        return " ".join(sentences)
    # Sentences sharing the most words with the topic first; among equals, those carrying figures.
    ranked = sorted(range(len(sentences)), key=lambda i: (-len(_terms(sentences[i]) & query)
                                                          - 0.5 * bool(_FIGURE.search(sentences[i])), i))
    chosen = sorted(ranked[:_QUOTES_PER_PASSAGE])
    return " … ".join(sentences[i] for i in chosen) if chosen != [chosen[0], chosen[0] + 1] \
        else " ".join(sentences[i] for i in chosen)


def _terms(text: str) -> set[str]:
    """Words that say something, cut to a common stem length so 'tides' meets 'tidal'."""
    return {word.casefold()[:5] for word in _WORD.findall(text) if word.casefold() not in _STOPWORDS}


def _one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


async def _paced(text: str) -> AsyncIterator[str]:
    """Hand the text over line by line, yielding to the loop in between, as a model would stream."""
    for line in text.splitlines(keepends=True):
        yield line
        await asyncio.sleep(0)

"""Citations: the numbered sources a round of research may cite, and the checks on what cites them.

Research notes and reports cite sources with markers like `[2]` or `[1, 3]`. After a model (or
the offline engine) has written, every marker is checked: one that points at no source, or a
quoted phrase ("…" followed by its marker) that is not in the passage it cites, is flagged for
the reviewer before they approve. Every report ends with a References list resolving the
markers its text uses.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, Protocol

# [3], [1, 4], [2,5-7] — but not Markdown links [text](url) nor checkboxes [x].
_MARKER = re.compile(r"\[(\d+(?:\s*[-–,]\s*\d+)*)\](?!\()")
# A quoted phrase and the marker right after it: “…” [2] or "…" [2].
_QUOTED = re.compile(r"[“\"]([^”\"\n]{8,})[”\"]\s*[,.;:]?\s*\[(\d+)\]")


@dataclass(frozen=True)
class Citation:
    """A source one round may cite as [number]: a passage of a document, or a web page."""

    number: int
    source: str          # a file's path or a page's URL
    title: str
    location: str = ""   # heading path or page in a document; the site for a web page
    text: str = ""       # the passage shown to the writer (empty for a web page)
    passage_id: str = ""

    @property
    def is_web(self) -> bool:
        return self.source.startswith(("http://", "https://"))

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Citation:
        return cls(**data)


class FoundPassage(Protocol):
    """What a passage search returns, as far as citing it goes (core.sources.Passage fits)."""

    id: str
    source: str
    title: str
    location: str
    text: str


class FoundHit(Protocol):
    passage: FoundPassage
    score: float


class PassageSearch(Protocol):
    """Where research looks for passages (core.sources.SourceLibrary fits)."""

    def search(self, query: str, k: int = 8, *,
               exclude_sources: Collection[str] = ()) -> Sequence[FoundHit]: ...


def number(passages: Iterable[FoundPassage], first: int = 1) -> list[Citation]:
    return [Citation(number=index, source=p.source, title=p.title, location=p.location, text=p.text,
                     passage_id=p.id) for index, p in enumerate(passages, start=first)]


def renumber(citations: Iterable[Citation]) -> list[Citation]:
    """The same sources numbered 1, 2, 3… in order, without repeats of one passage."""
    unique: dict[str, Citation] = {}
    for citation in citations:
        unique.setdefault(citation.passage_id or f"{citation.source}#{citation.location}", citation)
    return [replace(c, number=index) for index, c in enumerate(unique.values(), start=1)]


def without_references(text: str) -> str:
    """`text` without a References section of its own at the end (one is added from the sources)."""
    headings = list(re.finditer(r"(?im)^#{1,3}\s*(references|sources|bibliography)\s*$", text))
    return text[:headings[-1].start()].rstrip() if headings else text.rstrip()


def markers_in(text: str) -> list[int]:
    """Every source number `text` cites, in order of first appearance."""
    seen: dict[int, None] = {}
    for match in _MARKER.finditer(text):
        for number_ in _expand(match.group(1)):
            seen.setdefault(number_, None)
    return list(seen)


def check(text: str, citations: Sequence[Citation]) -> list[str]:
    """What is wrong with how `text` cites `citations`, one plain sentence per problem."""
    by_number = {c.number: c for c in citations}
    problems = [f"[{n}] points at no source: this round has sources 1 to {len(citations)}."
                if citations else f"[{n}] points at no source: this round has none."
                for n in markers_in(text) if n not in by_number]
    for match in _QUOTED.finditer(text):
        phrase, cited = match.group(1).strip(" …."), int(match.group(2))
        source = by_number.get(cited)
        # An ellipsis joins parts quoted from different places of the passage: each must be there.
        parts = [_normal(part) for part in re.split(r"…|\.\.\.", phrase) if _normal(part)]
        # A web page is not checked: all the search gives us is its address and title, not the
        # words on it, so a quote can be neither confirmed nor refuted. Flagging every quote from
        # the web would bury the real problems; the reviewer opens the page (README says so).
        if source is None or source.is_web or not source.text:
            continue
        if not all(part in _normal(source.text) for part in parts):
            problems.append(f"The quote “{_shorten(phrase)}” is not in source [{cited}] ({source.title}).")
    return problems


def references(text: str, citations: Sequence[Citation]) -> str:
    """A Markdown References section resolving every marker `text` uses ("" if it uses none)."""
    by_number = {c.number: c for c in citations}
    used = [by_number[n] for n in sorted(markers_in(text)) if n in by_number]
    if not used:
        return ""
    lines = ["## References", ""]
    for citation in used:
        where = f", {citation.location}" if citation.location and citation.location != citation.title else ""
        # A page is a link; a file is named by its path (exports link only web addresses: a file
        # link in a shared report would point into someone else's disk).
        source = f"<{citation.source}>" if citation.is_web else f"`{citation.source}`"
        lines.append(f"{citation.number}. {citation.title}{where}. {source}")
    return "\n".join(lines) + "\n"


def sources_by_document(citations: Sequence[Citation]) -> dict[str, list[Citation]]:
    """The citations grouped by the file or page they come from, in order of first number."""
    grouped: dict[str, list[Citation]] = {}
    for citation in sorted(citations, key=lambda c: c.number):
        grouped.setdefault(citation.source, []).append(citation)
    return grouped


def _expand(spec: str) -> list[int]:
    numbers: list[int] = []
    for part in re.split(r"\s*,\s*", spec):
        bounds = re.split(r"\s*[-–]\s*", part)
        if len(bounds) == 2 and int(bounds[0]) <= int(bounds[1]) <= int(bounds[0]) + 50:
            numbers.extend(range(int(bounds[0]), int(bounds[1]) + 1))
        else:
            numbers.extend(int(b) for b in bounds)
    return numbers


def _normal(text: str) -> str:
    """Compare quotes as a reader would: case, punctuation and spacing do not matter."""
    return " ".join(re.sub(r"[^\w%]+", " ", unicodedata.normalize("NFKC", text).casefold()).split())


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"

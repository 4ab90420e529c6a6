"""What the sources library hands out: passages, search hits, and what an index run did."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Passage:
    """A piece of one document, small enough to quote and cite."""

    id: str  # stable across runs: derived from the document's path and the passage's position
    source: str  # the file's absolute path
    title: str  # the document's first heading, else its file name
    location: str  # the heading path ("Costs › Capital costs"), "page 3", or "paragraph 4"
    text: str  # verbatim, whitespace normalised
    position: int  # index of the passage within its document


@dataclass(frozen=True)
class ScoredPassage:
    passage: Passage
    # 0–1: the passage's weighted BM25 score divided by the most any passage could score for the
    # query (every query term present, and often); see PassageIndex.relevance. Comparable between
    # passages of one query only.
    score: float


@dataclass(frozen=True)
class SkippedFile:
    path: str
    reason: str  # a plain phrase: "encrypted PDF", "not text (binary)", "empty", …


@dataclass(frozen=True)
class DocumentInfo:
    path: str
    title: str
    passages: int
    root: str  # the document root (folder or file) the document was found under


@dataclass(frozen=True)
class IndexSummary:
    documents: int  # documents with at least one passage
    passages: int
    reread: int  # files read from disk in this run (new, or their size or time changed)
    skipped: list[SkippedFile] = field(default_factory=list)
    # Files left alone because no reader handles their type (images, spreadsheets, …).
    unsupported: int = 0


class Cancelled(Exception):  # noqa: N818 (a state, not an error)
    """refresh() stopped because `cancelled()` turned true; the previous index and cache remain."""

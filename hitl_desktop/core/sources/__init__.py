"""The documents the research is grounded in: files and folders the user added, as passages.

Qt-free. `SourceLibrary` reads Markdown, plain text, HTML, PDF and Word files into passages of
about 60–200 words, keeps them in an on-disk cache (unchanged files are never read twice), and
finds the passages that match a query with BM25. `roots` keeps the user's list of document
folders and files.
"""

from typing import TYPE_CHECKING, Any

from hitl_desktop.core.sources.model import (
    Cancelled,
    DocumentInfo,
    IndexSummary,
    Passage,
    ScoredPassage,
    SkippedFile,
)
from hitl_desktop.core.sources.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

if TYPE_CHECKING:
    from hitl_desktop.core.sources.library import MIN_SCORE, SourceLibrary, no_documents_message, passage_id

# The index brings in numpy and bm25s (about 0.25 s): loaded when first used, not when the window
# that lists the documents is built.
_FROM_LIBRARY = ("MIN_SCORE", "SourceLibrary", "no_documents_message", "passage_id")


def __getattr__(name: str) -> Any:
    if name in _FROM_LIBRARY:
        from hitl_desktop.core.sources import library

        return getattr(library, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "MAX_FILE_BYTES",
    "MIN_SCORE",
    "SUPPORTED_SUFFIXES",
    "Cancelled",
    "DocumentInfo",
    "IndexSummary",
    "Passage",
    "ScoredPassage",
    "SkippedFile",
    "SourceLibrary",
    "no_documents_message",
    "passage_id",
]

"""The documents the research is grounded in: files and folders the user added, as passages.

Qt-free. `SourceLibrary` reads Markdown, plain text, HTML, PDF and Word files into passages of
about 60–200 words, keeps them in an on-disk cache (unchanged files are never read twice), and
finds the passages that match a query with BM25. `roots` keeps the user's list of document
folders and files.
"""

from hitl_desktop.core.sources.library import (
    MIN_SCORE,
    SourceLibrary,
    no_documents_message,
    passage_id,
)
from hitl_desktop.core.sources.model import (
    Cancelled,
    DocumentInfo,
    IndexSummary,
    Passage,
    ScoredPassage,
    SkippedFile,
)
from hitl_desktop.core.sources.readers import MAX_FILE_BYTES, SUPPORTED_SUFFIXES

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

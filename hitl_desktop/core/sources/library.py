"""The user's documents as searchable passages, kept in an on-disk cache between runs.

`SourceLibrary(roots, cache_dir)` costs nothing to create. `refresh()` walks the roots, reads only
files that are new or whose size or modification time changed (a content hash then decides
whether they really changed), drops files that are gone, rebuilds the BM25 index from the cached
tokens when anything changed, and saves the cache. `search()` returns the best passages for a
query, and only passages that match it well enough (see `MIN_SCORE` and `RELATIVE_SCORE`).

The cache (under `cache_dir`):
- `files.jsonl`: every file seen, with its size, time, hash, title and passages (text and
  tokens), or the reason it was skipped (`file_cache`); written atomically, and the commit point
  of a refresh;
- `index-<generation>/`: bm25s's saved matrix for that generation of `files.jsonl`, so a reopened
  library searches without rebuilding. A missing or damaged one is rebuilt from the tokens; a
  damaged `files.jsonl` is discarded (with a log line) and the files are read again.

Thread use: `refresh()` runs on a worker thread while `search()` may run on another; a refresh
builds a new state and swaps it in whole, so a search sees the old index or the new one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hitl_desktop.core.sources.file_cache import CACHE_FILE, FileEntry, read_cache, write_cache
from hitl_desktop.core.sources.index import PassageIndex
from hitl_desktop.core.sources.model import (
    Cancelled,
    DocumentInfo,
    IndexSummary,
    Passage,
    ScoredPassage,
    SkippedFile,
)
from hitl_desktop.core.sources.passages import split_passages
from hitl_desktop.core.sources.parsed import Unusable
from hitl_desktop.core.sources.readers import MAX_FILE_BYTES, read_document
from hitl_desktop.core.sources.scan import FoundFile, find_documents, os_reason
from hitl_desktop.core.sources.tokens import tokenize

log = logging.getLogger(__name__)

# A passage is returned only if its normalised score (0–1, see PassageIndex.relevance) reaches
# MIN_SCORE, and reaches RELATIVE_SCORE times the best passage's score for the same query.
# Calibrated on the sample corpus (tests/core/test_sources.py checks that no query about one
# subject returns a passage about another).
MIN_SCORE = 0.2
RELATIVE_SCORE = 0.5

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class _State:
    generation: str
    entries: dict[str, FileEntry]
    passages: list[Passage]
    by_id: dict[str, int]
    rows: dict[str, range]  # each document's passages: a run of the index's rows
    index: PassageIndex


_EMPTY = _State("", {}, [], {}, {}, PassageIndex.empty())


def passage_id(source: str, position: int) -> str:
    """Stable across runs for an unchanged file: the path's digest and the passage's position."""
    return f"{hashlib.sha1(source.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}-{position}"


class SourceLibrary:
    def __init__(self, roots: Sequence[Path], cache_dir: Path) -> None:
        self.roots = [Path(root) for root in roots]
        self.cache_dir = Path(cache_dir)
        self._state: _State | None = None
        self._load_lock = threading.Lock()
        self._refresh_lock = threading.Lock()

    # --- Reading the roots -------------------------------------------------------------------

    def refresh(self, progress: Progress | None = None,
                cancelled: Callable[[], bool] | None = None) -> IndexSummary:
        """Bring the index up to date with the roots; see the module docstring.

        `progress(done, total)` is called from this thread as files are checked. When
        `cancelled()` turns true, `Cancelled` is raised and nothing is written: the previous
        cache and index stay as they were.
        """
        with self._refresh_lock:
            return self._refresh(progress or (lambda done, total: None),
                                 cancelled or (lambda: False))

    def _refresh(self, progress: Progress, cancelled: Callable[[], bool]) -> IndexSummary:
        old = self._loaded()
        found, skipped, unsupported = find_documents(self.roots, cancelled)
        total = len(found)
        progress(0, total)
        entries: dict[str, FileEntry] = {}
        reread = 0
        content_changed = set(old.entries) != {f.path for f in found}
        for done, item in enumerate(found, start=1):
            if cancelled():
                raise Cancelled
            entry, was_read, changed = _update(item, old.entries.get(item.path))
            entries[item.path] = entry
            reread += was_read
            content_changed |= changed
            progress(done, total)
        if cancelled():
            raise Cancelled
        stats_changed = content_changed or any(
            (e.size, e.mtime_ns, e.root) != (o.size, o.mtime_ns, o.root)
            for path, e in entries.items() if (o := old.entries.get(path)) is not None)
        if content_changed or not old.generation:
            state = _build_state(uuid.uuid4().hex, entries)
            self._save(state, index_too=True)
        elif stats_changed:  # touched, not changed: remember the new times, keep the index
            state = _State(old.generation, entries, old.passages, old.by_id, old.rows, old.index)
            self._save(state, index_too=False)
        else:
            state = old
        self._state = state
        skipped += [SkippedFile(path, e.skipped) for path, e in entries.items() if e.skipped]
        return IndexSummary(
            documents=sum(1 for e in entries.values() if e.passages),
            passages=len(state.passages), reread=reread,
            skipped=sorted(skipped, key=lambda s: s.path), unsupported=unsupported)

    # --- Looking things up -------------------------------------------------------------------

    def search(self, query: str, k: int = 8, *, exclude_sources: Collection[str] = (),
               exclude_passages: Collection[str] = (),
               min_score: float = MIN_SCORE) -> list[ScoredPassage]:
        """The best `k` passages for `query`, best first; only passages that match it well.

        A passage must score at least `min_score` (0–1: its BM25 score, with each query term
        weighted by how much it is a subject's own word, over the most any passage could score;
        see PassageIndex.relevance) and at least RELATIVE_SCORE times the best passage, so a
        passage that shares only a common word with the query ("Europe", "history") is not
        returned, however few results that leaves. An empty list means nothing matches.
        Before the first refresh this searches the index the last run saved, if there is one.
        """
        state = self._loaded()
        relevance = state.index.relevance(tokenize(query))
        if relevance is None or k <= 0:
            return []
        for source in exclude_sources:
            if (rows := state.rows.get(source)) is not None:
                relevance[rows.start:rows.stop] = 0.0
        for excluded in exclude_passages:
            if (row := state.by_id.get(excluded)) is not None:
                relevance[row] = 0.0
        best = float(relevance.max(initial=0.0))
        floor = max(min_score, best * RELATIVE_SCORE)
        if best <= 0.0 or best < floor:
            return []
        candidates = np.flatnonzero(relevance >= floor)
        order = candidates[np.lexsort((candidates, -relevance[candidates]))][:k]
        return [ScoredPassage(state.passages[row], round(float(relevance[row]), 4))
                for row in order]

    def passage(self, passage_id: str) -> Passage | None:
        state = self._loaded()
        row = state.by_id.get(passage_id)
        return None if row is None else state.passages[row]

    def passages_of(self, source: str) -> list[Passage]:
        """Every passage of one document, in order (empty if it is not in the library)."""
        state = self._loaded()
        return [state.passages[row] for row in state.rows.get(source, ())]

    def documents(self) -> list[DocumentInfo]:
        """Indexed documents (skipped files left out), in path order."""
        state = self._loaded()
        return [DocumentInfo(path, state.entries[path].title, len(rows), state.entries[path].root)
                for path, rows in state.rows.items()]

    # --- The cache ---------------------------------------------------------------------------

    def _loaded(self) -> _State:
        state = self._state
        if state is not None:
            return state
        with self._load_lock:
            if self._state is None:
                self._state = self._load()
            return self._state

    def _load(self) -> _State:
        path = self.cache_dir / CACHE_FILE
        try:
            cached = read_cache(self.cache_dir)
        except OSError as exc:
            log.warning("The document index cache %s cannot be read (%s); reading the documents "
                        "again.", path, exc)
            return _EMPTY
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            log.warning("The document index cache %s is damaged (%s); it is discarded and the "
                        "documents are read again.", path, exc)
            return _EMPTY
        if cached is None:
            return _EMPTY
        generation, entries = cached
        try:
            index = PassageIndex.load(self.cache_dir / f"index-{generation}")
        except Exception as exc:  # noqa: BLE001 (any damage: rebuild from the cached tokens)
            log.warning("The saved search index is missing or damaged (%s); rebuilding it from "
                        "the cached passages.", exc)
            state = _build_state(generation, entries)
            self._save(state, index_too=True)
            return state
        state = _build_state(generation, entries, index)
        if state.index.count != len(state.passages):
            log.warning("The saved search index does not match the cached passages; rebuilding.")
            state = _build_state(generation, entries)
            self._save(state, index_too=True)
        return state

    def _save(self, state: _State, *, index_too: bool) -> None:
        """Index first, then files.jsonl (the commit point), then old index folders go."""
        try:
            self.cache_dir.mkdir(parents=True, exist_ok=True)
            folder = self.cache_dir / f"index-{state.generation}"
            if index_too:
                if folder.exists():
                    shutil.rmtree(folder)
                staging = self.cache_dir / f".index-{state.generation}.partial"
                shutil.rmtree(staging, ignore_errors=True)
                state.index.save(staging)
                os.replace(staging, folder)
            write_cache(self.cache_dir, state.generation, state.entries)
        except OSError as exc:
            log.warning("The document index could not be saved in %s (%s); it works for this "
                        "session and is rebuilt next time.", self.cache_dir, exc)
            return
        for old in self.cache_dir.glob("index-*"):
            if old.name != f"index-{state.generation}":
                shutil.rmtree(old, ignore_errors=True)
        for partial in self.cache_dir.glob(".index-*.partial"):
            shutil.rmtree(partial, ignore_errors=True)


def no_documents_message(summary: IndexSummary, roots: Sequence[Path]) -> str | None:
    """A plain sentence for a refresh that found nothing to use; None if it found documents."""
    if summary.documents:
        return None
    kinds = "Markdown, plain text, HTML, PDF or Word (.docx)"
    if not roots:
        return f"No documents have been added. Add {kinds} files, or folders that hold them."
    found = []
    if summary.skipped:
        reasons = Counter(s.reason for s in summary.skipped).most_common(3)
        listed = "; ".join(f"{count} {reason}" if count > 1 else reason
                           for reason, count in reasons)
        noun = "file was" if len(summary.skipped) == 1 else "files were"
        found.append(f"{len(summary.skipped)} {noun} skipped ({listed})")
    if summary.unsupported:
        noun = "file is" if summary.unsupported == 1 else "files are"
        found.append(f"{summary.unsupported} {noun} of a type that cannot be read")
    detail = (": " + ", and ".join(found)) if found else ""
    return (f"The added files and folders hold no usable documents{detail}. "
            f"Add {kinds} files.")


# --- Reading one file ---------------------------------------------------------------------------

def _update(item: FoundFile, old: FileEntry | None) -> tuple[FileEntry, bool, bool]:
    """The file's entry, whether it was read from disk, and whether its content changed."""
    # An entry without a hash was never read whole (too large, or refused): look again, since
    # permissions and limits can change without the file's time changing.
    if old is not None and old.sha256 and (old.size, old.mtime_ns) == (item.size, item.mtime_ns):
        if old.root == item.root:
            return old, False, False
        return _replace_stat(old, item), False, False
    if item.size > MAX_FILE_BYTES:
        entry = FileEntry(item.root, item.size, item.mtime_ns, "",
                       skipped=f"larger than the {MAX_FILE_BYTES // 2**20} MB limit")
        return entry, False, old is None or old.skipped != entry.skipped
    try:
        with open(item.path, "rb") as file:
            data = file.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        entry = FileEntry(item.root, item.size, item.mtime_ns, "",
                       skipped=f"cannot be read ({os_reason(exc)})")
        return entry, True, old is None or old.skipped != entry.skipped
    if len(data) > MAX_FILE_BYTES:  # grew since it was listed
        entry = FileEntry(item.root, item.size, item.mtime_ns, "",
                       skipped=f"larger than the {MAX_FILE_BYTES // 2**20} MB limit")
        return entry, True, True
    digest = hashlib.sha256(data).hexdigest()
    if old is not None and old.sha256 == digest:  # touched, same content
        return _replace_stat(old, item), True, False
    return _parse(item, data, digest), True, True


def _replace_stat(old: FileEntry, item: FoundFile) -> FileEntry:
    return FileEntry(item.root, item.size, item.mtime_ns, old.sha256, old.title, old.skipped,
                  old.passages)


def _parse(item: FoundFile, data: bytes, digest: str) -> FileEntry:
    path = Path(item.path)
    try:
        document = read_document(path, data)
    except Unusable as exc:
        return FileEntry(item.root, item.size, item.mtime_ns, digest, skipped=exc.reason)
    title = document.title or path.name
    passages = []
    for piece in split_passages(document.blocks):
        # The title and heading path are indexed with the text: a passage under "Costs" in a
        # document titled "Tidal power" is about the costs of tidal power.
        context = document.title or path.stem
        if piece.location != context and not piece.location.startswith(("page ", "paragraph ")):
            context = f"{context} {piece.location}"
        tokens = tokenize(f"{context} {piece.text}")
        passages.append((piece.location, piece.text, " ".join(tokens)))
    if not passages:
        return FileEntry(item.root, item.size, item.mtime_ns, digest, title, skipped="empty")
    return FileEntry(item.root, item.size, item.mtime_ns, digest, title, None, passages)


def _build_state(generation: str, entries: dict[str, FileEntry],
                 index: PassageIndex | None = None) -> _State:
    passages: list[Passage] = []
    token_lists: list[list[str]] = []
    documents: list[int] = []
    rows: dict[str, range] = {}
    for number, path in enumerate(sorted(entries)):
        entry = entries[path]
        if entry.passages:
            rows[path] = range(len(passages), len(passages) + len(entry.passages))
        for position, (location, text, tokens) in enumerate(entry.passages or ()):
            passages.append(Passage(passage_id(path, position), path, entry.title, location, text,
                                    position))
            if index is None:
                token_lists.append(tokens.split())
                documents.append(number)
    if index is None:
        index = PassageIndex.build(token_lists, documents)
    return _State(generation, entries, passages, {p.id: row for row, p in enumerate(passages)},
                  rows, index)


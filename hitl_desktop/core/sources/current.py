"""CurrentSources: what research searches — the newest library, once its index is built.

The documents are indexed off the UI thread while the app runs (at start, and when the list of
documents changes). A research round that starts meanwhile waits for the index rather than
searching a stale or empty one; searches run on a worker thread, so waiting blocks nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING

from hitl_desktop.core.sources.model import ScoredPassage

if TYPE_CHECKING:
    from hitl_desktop.core.sources.library import SourceLibrary

log = logging.getLogger(__name__)

# Indexing thousands of files takes seconds; past this a round goes on with the index it has.
WAIT_FOR_INDEX_S = 120.0


class CurrentSources:
    """`library()` gives the library to search at the time (it changes with the documents)."""

    def __init__(self, library: Callable[[], SourceLibrary], *, wait_s: float = WAIT_FOR_INDEX_S) -> None:
        self._library = library
        self._wait_s = wait_s
        # Not ready until the first index run has ended: a run started at once (a script, a
        # quick first click) must not search a library that was never indexed.
        self._ready = threading.Event()

    def indexing(self) -> None:
        """An index run started: searches wait for it."""
        self._ready.clear()

    def ready(self) -> None:
        """The index run ended (finished, failed or cancelled): search the library it built."""
        self._ready.set()

    def search(self, query: str, k: int = 8, *, exclude_sources: Collection[str] = ()) -> list[ScoredPassage]:
        if not self._ready.wait(self._wait_s):
            log.warning("The document index is still being built after %.0f s; searching what is indexed",
                        self._wait_s)
        return self._library().search(query, k, exclude_sources=exclude_sources)

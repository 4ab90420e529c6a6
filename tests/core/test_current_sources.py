"""CurrentSources: a search waits for the index being built, and for the first one."""

from __future__ import annotations

import threading
import time

from hitl_desktop.core.sources.current import CurrentSources


class CountingLibrary:
    def __init__(self) -> None:
        self.searches: list[float] = []

    def search(self, query: str, k: int = 8, *, exclude_sources=()):  # type: ignore[no-untyped-def]
        self.searches.append(time.monotonic())
        return []


def test_a_search_before_the_first_index_waits_for_it() -> None:
    library = CountingLibrary()
    current = CurrentSources(lambda: library, wait_s=5)
    ended = time.monotonic() + 0.2
    threading.Timer(0.2, current.ready).start()  # the first index run ends
    current.search("tides")
    assert library.searches and library.searches[0] >= ended - 0.01


def test_a_search_during_a_later_index_waits_and_one_after_it_does_not() -> None:
    library = CountingLibrary()
    current = CurrentSources(lambda: library, wait_s=5)
    current.ready()
    current.search("tides")
    current.indexing()
    threading.Timer(0.2, current.ready).start()
    started = time.monotonic()
    current.search("tides")
    assert time.monotonic() - started >= 0.15


def test_an_index_that_never_ends_does_not_hold_research_for_ever() -> None:
    library = CountingLibrary()
    current = CurrentSources(lambda: library, wait_s=0.1)
    current.search("tides")  # gives up waiting and searches what is indexed
    assert len(library.searches) == 1

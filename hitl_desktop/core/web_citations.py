"""Web pages a model found by searching while it wrote, turned into citations like any other.

Qwen on DashScope can search the web itself. Its reply then cites the pages it read as [ref_1],
[ref_2]: the marker format we ask for (`WEB_MARKER_FORMAT`), deliberately unlike our [1], [2], so
that a page's number can never be read as a document passage's. Once the reply is in, the pages
become Citations numbered after the round's passages and the markers are rewritten to those
numbers; from then on the citation check, the review's Sources tab, triage, References and the
exports treat a page like any other source. A page the reviewer dropped is never cited again.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

from hitl_desktop.core.citations import Citation

# What the model is asked to write for the page the search listed as <number>.
WEB_MARKER_FORMAT = "[ref_<number>]"
# [ref_3] and [ref_1, ref_4] (a model may list several in one marker, as it does [1, 4]).
_WEB_MARKER = re.compile(r"(\s?)\[(ref_\d+(?:\s*,\s*ref_\d+)*)\]")


@dataclass(frozen=True)
class WebSource:
    """A web page a model's search returned for one reply."""

    url: str
    title: str
    site: str = ""
    # The numbers the reply's markers may use for it ([ref_<n>]): a search may list a page twice.
    indexes: tuple[int, ...] = ()


def unique_pages(found: Iterable[WebSource]) -> tuple[WebSource, ...]:
    """`found` with each page once, in order of first appearance, keeping every number it had."""
    pages: dict[str, WebSource] = {}
    for page in found:
        if not page.url:
            continue
        seen = pages.get(page.url)
        if seen is None:
            pages[page.url] = page
            continue
        more = tuple(i for i in page.indexes if i not in seen.indexes)
        pages[page.url] = WebSource(seen.url, seen.title or page.title, seen.site or page.site,
                                    seen.indexes + more)
    return tuple(pages.values())


@dataclass(frozen=True)
class CitedWeb:
    """A reply's web pages as citations: the text with its markers renumbered, the round's
    citations with the pages added, and what the reviewer should know about the markers."""

    text: str
    citations: list[Citation]
    problems: list[str]


def cite_web_pages(text: str, pages: Sequence[WebSource], citations: Sequence[Citation], *,
                   dropped: Collection[str] = ()) -> CitedWeb:
    """Number `pages` after `citations` and rewrite the [ref_k] markers of `text` to match.

    A page already among `citations` (pinned in an earlier round) keeps its number; a page the
    reviewer dropped is not added and a marker citing it is removed, with a note saying so; a
    marker for a page the search never returned is left as written and flagged.
    """
    all_citations = list(citations)
    number_of_url = {c.source: c.number for c in all_citations if c.is_web}
    next_number = max((c.number for c in all_citations), default=0) + 1
    number_of_index: dict[int, int] = {}
    dropped_indexes: dict[int, str] = {}
    for page in unique_pages(pages):
        if page.url in dropped:
            dropped_indexes.update((index, page.url) for index in page.indexes)
            continue
        if page.url not in number_of_url:
            number_of_url[page.url] = next_number
            all_citations.append(Citation(number=next_number, source=page.url, title=page.title or page.url,
                                          location=page.site, passage_id=page.url))
            next_number += 1
        number_of_index.update((index, number_of_url[page.url]) for index in page.indexes)

    problems: list[str] = []

    def rewrite(match: re.Match[str]) -> str:
        numbers: list[str] = []
        unknown: list[str] = []
        for name in re.split(r"\s*,\s*", match.group(2)):
            index = int(name.removeprefix("ref_"))
            if index in number_of_index:
                if str(number_of_index[index]) not in numbers:
                    numbers.append(str(number_of_index[index]))
            elif index in dropped_indexes:
                problems.append(f"The notes cited a web page you dropped ({dropped_indexes[index]}); "
                                "that citation was removed.")
            else:
                unknown.append(f"[{name}]")
                problems.append(f"[{name}] points at no web page the search returned.")
        rewritten = (f"[{', '.join(numbers)}]" if numbers else "") + "".join(unknown)
        return f"{match.group(1)}{rewritten}" if rewritten else ""

    return CitedWeb(_WEB_MARKER.sub(rewrite, text), all_citations, problems)

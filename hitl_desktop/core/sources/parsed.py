"""The shape every document reader returns, and the small helpers readers share.

A `ParsedDocument` is a title and `blocks`, paragraphs in reading order, each with the place it
sits in ("Costs › Capital costs", "page 3", or "" when the document has no structure). A file that
cannot be used raises `Unusable(reason)`, a short phrase for the Sources panel.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

HEADING_SEPARATOR = " › "

_SPACE = re.compile(r"\s+")


class Unusable(Exception):  # noqa: N818 (carries a reason, not a failure of ours)
    """The file cannot be used; `reason` says why in a few plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    location: str
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    title: str | None  # the first heading, when the document has one
    blocks: list[Block]


def normalise_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


class Outline:
    """The heading path at the current point of a document.

    The document's title (its first heading, when no later heading is more senior) is left out of
    locations, so a section reads "Costs › Capital costs" rather than repeating the title.
    """

    def __init__(self) -> None:
        self.title: str | None = None
        self._title_level = 0
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, text: str) -> None:
        text = normalise_space(text)
        if not text:
            return
        if self.title is None:
            self.title, self._title_level = text, level
            return
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))

    @property
    def location(self) -> str:
        if self._stack:
            return HEADING_SEPARATOR.join(text for _, text in self._stack)
        return self.title or ""


def paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Runs of non-blank lines, whitespace normalised."""
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            yield normalise_space(" ".join(current))
            current = []
    if current:
        yield normalise_space(" ".join(current))


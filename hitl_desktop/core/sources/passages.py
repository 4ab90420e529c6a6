"""Cut a parsed document into passages of about 60–200 words that keep their place.

A passage never spans two sections (or two PDF pages), so its location is exact. Paragraphs in a
section are gathered until the next one would pass MAX_WORDS; a paragraph longer than that is cut
at sentence ends (or, failing those, every MAX_WORDS words). A short remainder at the end of a
section joins the passage before it when the two fit together.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from hitl_desktop.core.sources.parsed import Block

MIN_WORDS = 60
MAX_WORDS = 200
# A section's last piece below this many words is merged into the previous passage if it fits.
TAIL_WORDS = 30
# Text without spaces (encoded data, long URLs) is cut by length so no passage is huge.
MAX_CHARS = 3000

_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+(?=\S)")


@dataclass(frozen=True)
class Piece:
    location: str
    text: str


def _word_count(text: str) -> int:
    return len(text.split())


def _pieces_of_paragraph(text: str) -> Iterator[tuple[str, int]]:
    """The paragraph, or parts of it no longer than MAX_WORDS words and MAX_CHARS characters."""
    for piece, words in _word_pieces(text):
        if len(piece) <= MAX_CHARS:
            yield piece, words
            continue
        for start in range(0, len(piece), MAX_CHARS):  # "words" thousands of characters long
            chunk = piece[start:start + MAX_CHARS]
            yield chunk, _word_count(chunk)


def _word_pieces(text: str) -> Iterator[tuple[str, int]]:
    """The paragraph, or sentence-aligned parts of it when it is longer than MAX_WORDS."""
    words = _word_count(text)
    if words <= MAX_WORDS:
        yield text, words
        return
    target = max(MIN_WORDS * 2, MAX_WORDS * 3 // 4)
    current: list[str] = []
    count = 0
    for sentence in _SENTENCE_END.split(text):
        sentence_words = sentence.split()
        if len(sentence_words) > MAX_WORDS:  # no sentence ends: cut by count
            if current:
                yield " ".join(current), count
                current, count = [], 0
            for start in range(0, len(sentence_words), target):
                chunk = sentence_words[start:start + target]
                yield " ".join(chunk), len(chunk)
            continue
        if current and count + len(sentence_words) > target:
            yield " ".join(current), count
            current, count = [], 0
        current.append(sentence)
        count += len(sentence_words)
    if current:
        yield " ".join(current), count


def _section_passages(paragraphs: list[str]) -> list[tuple[str, int]]:
    passages: list[tuple[list[str], int]] = []
    current: list[str] = []
    count = 0
    for paragraph in paragraphs:
        for piece, words in _pieces_of_paragraph(paragraph):
            if current and (count + words > MAX_WORDS
                            or sum(map(len, current)) + len(piece) > MAX_CHARS):
                passages.append((current, count))
                current, count = [], 0
            current.append(piece)
            count += words
    if current:
        if (passages and count < TAIL_WORDS
                and passages[-1][1] + count <= MAX_WORDS + TAIL_WORDS
                and sum(map(len, passages[-1][0] + current)) <= MAX_CHARS):
            previous, previous_count = passages.pop()
            current, count = previous + current, previous_count + count
        passages.append((current, count))
    return [(" ".join(parts), count) for parts, count in passages]


def split_passages(blocks: list[Block]) -> list[Piece]:
    """Passages in reading order; the list index is the passage's position."""
    pieces: list[Piece] = []
    section: list[str] = []
    section_words = 0
    location: str | None = None
    first_paragraph = 0

    def close() -> None:
        nonlocal section_words
        for text, _ in _section_passages(section):
            # Text without headings or pages is located by its first paragraph's number.
            pieces.append(Piece(location or f"paragraph {first_paragraph}", text))
        section.clear()
        section_words = 0

    for number, block in enumerate((b for b in blocks if b.text), start=1):
        words = _word_count(block.text)
        # Unstructured text: each passage is its own "section", so its paragraph number is exact.
        full = not block.location and (section_words >= MIN_WORDS
                                       or section_words + words > MAX_WORDS)
        if block.location != location or (section and full):
            close()
            location = block.location
            first_paragraph = number
        section.append(block.text)
        section_words += words
    close()
    return pieces

"""Text that every part of the app can store, show and save: one clean-up where text enters.

Model output, a typed topic or notes pasted from elsewhere may hold code points that are not
valid text: a lone UTF-16 surrogate ("\\ud800") cannot be encoded as UTF-8 at all, and NUL and the
other C0 control characters are not allowed in XML (so not in a Word file). `clean_text` replaces
what cannot be text with U+FFFD (the replacement character, "�") and drops control characters,
keeping tab and line breaks (a carriage return becomes a line break).

`StreamCleaner` does the same for text that arrives in pieces, where a surrogate pair may be
split between two pieces: its halves are joined instead of being replaced.
"""

from __future__ import annotations

import re

REPLACEMENT = "\ufffd"

# A valid surrogate pair (a character outside the Basic Multilingual Plane, split in UTF-16).
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
# Not text: lone surrogates, and the two noncharacters XML forbids (U+FFFE, U+FFFF).
_INVALID = re.compile("[\ud800-\udfff\ufffe\uffff]")
# C0 controls but tab and line feed, and DEL. (Carriage returns are turned into line feeds first.)
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f]")
_NEEDS_WORK = re.compile("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def clean_text(text: str) -> str:
    """`text` with every code point that is not valid text replaced or dropped (see the module)."""
    if not _NEEDS_WORK.search(text):
        return text  # the usual case: nothing to do, no copy
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _PAIR.sub(_join_pair, text)
    text = _INVALID.sub(REPLACEMENT, text)
    return _CONTROLS.sub("", text)


def _join_pair(match: re.Match[str]) -> str:
    high, low = (ord(ch) for ch in match.group())
    return chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))


def is_clean(text: str) -> bool:
    return not _NEEDS_WORK.search(text)


class StreamCleaner:
    """`clean_text` for a stream of pieces: a high surrogate at the end of a piece waits for the
    next piece, so a pair split between two pieces becomes its character."""

    def __init__(self) -> None:
        self._held = ""

    def feed(self, piece: str) -> str:
        text = self._held + piece
        self._held = ""
        if text and "\ud800" <= text[-1] <= "\udbff":
            text, self._held = text[:-1], text[-1]
        if text.endswith("\r"):  # may be the first half of "\r\n"
            text, self._held = text[:-1], "\r" + self._held
        return clean_text(text)

    def flush(self) -> str:
        held, self._held = self._held, ""
        return clean_text(held)

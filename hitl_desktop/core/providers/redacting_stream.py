"""Redacts secrets in streamed model output, even when a key arrives split across pieces.

A model may echo an API key (a server quoting the request, a key pasted into a topic). Keys are
printable ASCII without spaces, so text up to the last space or non-ASCII character can be
redacted safely; only the ASCII word still being written is held back until it is complete.
(Chinese or Japanese text, which has no spaces, therefore streams character by character.)
"""

from __future__ import annotations

import re

from hitl_desktop.core.redaction import redact

# The last character that cannot be part of a key: not printable ASCII (a space, a line break,
# a CJK character), with only key-like characters after it.
_LAST_BOUNDARY = re.compile(r"[^\x21-\x7e](?=[\x21-\x7e]*\Z)")
# A "word" longer than this (a long URL, minified code) is released in part; keys are shorter.
_MAX_HELD = 512
_KEEP_WHEN_RELEASING = 200


class StreamRedactor:
    def __init__(self) -> None:
        self._held = ""

    def feed(self, text: str) -> str:
        """The part of the stream so far that is safe to show (possibly ""), redacted."""
        self._held += text
        match = _LAST_BOUNDARY.search(self._held)
        if match is not None:
            cut = match.end()
        elif len(self._held) > _MAX_HELD:
            cut = len(self._held) - _KEEP_WHEN_RELEASING
        else:
            return ""
        ready, self._held = self._held[:cut], self._held[cut:]
        return redact(ready)

    def flush(self) -> str:
        """Whatever is still held, redacted (the stream has ended)."""
        ready, self._held = self._held, ""
        return redact(ready) if ready else ""

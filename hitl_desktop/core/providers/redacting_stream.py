"""Redacts secrets in streamed model output, even when a key arrives split across pieces.

A model may echo an API key (a server quoting the request, a key pasted into a topic). Keys are
printable ASCII without spaces, so text up to the last space or non-ASCII character can be
redacted safely; only the ASCII word still being written is held back until it is complete.
(Chinese or Japanese text, which has no spaces, therefore streams character by character.)
Exact secrets given to the redactor (the key in use, whatever its shape) are also held back
while the text so far ends with the start of one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from hitl_desktop.core.redaction import redact

# The last character that cannot be part of a key: not printable ASCII (a space, a line break,
# a CJK character), with only key-like characters after it.
_LAST_BOUNDARY = re.compile(r"[^\x21-\x7e](?=[\x21-\x7e]*\Z)")
# A "word" longer than this (a long URL, minified code) is released in part; keys are shorter.
_MAX_HELD = 512
_KEEP_WHEN_RELEASING = 200


class StreamRedactor:
    def __init__(self, exact: Iterable[str] = ()) -> None:
        self._held = ""
        self._exact = tuple(s for s in exact if s)

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
        cut = self._before_partial_secret(cut)
        ready, self._held = self._held[:cut], self._held[cut:]
        return redact(ready, also=self._exact)

    def _before_partial_secret(self, cut: int) -> int:
        """`cut`, moved back so that no exact secret (or the start of one, the rest still to
        come) straddles it: redacting the text before `cut` only masks whole secrets."""
        moved = True
        while moved:
            moved = False
            for secret in self._exact:
                for begin in range(max(0, cut - len(secret) + 1), cut):
                    if secret.startswith(self._held[begin:begin + len(secret)]):
                        cut, moved = begin, True
                        break
        return cut

    def flush(self) -> str:
        """Whatever is still held, redacted (the stream has ended)."""
        ready, self._held = self._held, ""
        return redact(ready, also=self._exact) if ready else ""

"""Keeps secrets out of every text that leaves the process (logs, dialogs, exports, run data).

Anything that learns a secret registers it here; every outward path calls `redact`.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

_MASK = "[redacted]"
_MIN_SECRET_LEN = 6  # shorter "secrets" would mangle ordinary words

_lock = threading.Lock()
_secrets: set[str] = set()

# Shapes of keys we may never have been told about (pasted into a topic, echoed by a server).
_KEY_SHAPES = re.compile(r"\bsk-[A-Za-z0-9_\-]{12,}\b|(?i:bearer\s+)[A-Za-z0-9._\-]{12,}")


def register_secret(value: str | None) -> None:
    if value and len(value) >= _MIN_SECRET_LEN:
        with _lock:
            _secrets.add(value)


def redact(text: str, also: Iterable[str] = ()) -> str:
    """`text` with every registered secret, every key-shaped word and each of `also` masked.

    `also` names exact secrets (the key a model or a Test Connection is using), whatever their
    shape. One shorter than the registry accepts is masked only where it stands alone, not
    inside a longer word, so a four-character key does not mangle ordinary text.
    """
    extra = {s for s in also if s}
    short = {s for s in extra if len(s) < _MIN_SECRET_LEN}
    with _lock:
        known = sorted(_secrets | (extra - short), key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, _MASK)
    for secret in sorted(short, key=len, reverse=True):
        if secret in text:
            text = re.sub(rf"(?<![A-Za-z0-9]){re.escape(secret)}(?![A-Za-z0-9])", _MASK, text)
    return _KEY_SHAPES.sub(_MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites each record's final text so handlers only ever see redacted messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format call must not crash the code that logged it
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        if record.exc_info:
            # Format the traceback now, redacted, and drop the live exception.
            formatted = logging.Formatter().formatException(record.exc_info)
            record.exc_text = redact(formatted)
            record.exc_info = None
        return True

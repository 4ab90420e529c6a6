"""Keeps secrets out of every text that leaves the process (logs, dialogs, exports, run data).

Anything that learns a secret registers it here; every outward path calls `redact`.
"""

from __future__ import annotations

import logging
import re
import threading

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


def redact(text: str) -> str:
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, _MASK)
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

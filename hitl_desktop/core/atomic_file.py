"""Atomic file writes: a temp file in the target folder, flushed and fsynced, then renamed over.

A crash or a full disk mid-write leaves the previous file intact and no half-written file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            tmp.write(data)
            tmp.flush()
            os.fsync(tmp.fileno())
        _keep_existing_mode(path, tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def _keep_existing_mode(path: Path, tmp_name: str) -> None:
    """mkstemp creates 0600 files; a saved report should get normal permissions (or keep the old ones)."""
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o666 & ~_UMASK
    os.chmod(tmp_name, mode)


def _read_umask() -> int:
    # os.umask can only be read by setting it; do it once, at import, before any worker thread
    # exists, rather than flipping the process-wide value while other threads create files.
    umask = os.umask(0o022)
    os.umask(umask)
    return umask


_UMASK = _read_umask()

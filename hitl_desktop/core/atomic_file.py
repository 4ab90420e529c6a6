"""Atomic file writes: a temp file in the target folder, flushed and fsynced, then renamed over.

A crash or a full disk mid-write leaves the previous file intact and no half-written file behind.
A process killed outright (SIGKILL, a power cut) cannot remove its temp file, though: the next
save to that folder removes such leftovers, ours only (".<name>.<8 random characters>.tmp") and
only once they are old enough that no save can still be writing them.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

# What mkstemp makes of prefix ".<name>." and suffix ".tmp": eight of [a-z0-9_] between them.
_OUR_TEMP_NAME = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
# A save takes well under a second; a temp file a minute old belongs to a save that died.
STALE_AFTER_S = 60.0


def atomic_write_bytes(path: Path, data: bytes) -> None:
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: Path, chunks: Iterable[bytes]) -> None:
    """Write the file from `chunks`, each as it comes: a large file made piece by piece (a worker
    thread's cache) never holds Python's GIL for one long encode, which would freeze the window."""
    path = Path(path)
    remove_stale_temp_files(path.parent)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as tmp:
            for chunk in chunks:
                tmp.write(chunk)
            tmp.flush()
            os.fsync(tmp.fileno())
        _keep_existing_mode(path, tmp_name)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def remove_stale_temp_files(folder: Path, older_than_s: float = STALE_AFTER_S) -> int:
    """Delete temp files our saves left in `folder` when killed mid-write; how many went.

    Never fails a save: a folder that cannot be listed, or a file that cannot be removed, is
    left as it is.
    """
    removed = 0
    cutoff = time.time() - older_than_s
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        if not (entry.name.startswith(".") and entry.name.endswith(".tmp")
                and _OUR_TEMP_NAME.fullmatch(entry.name)):
            continue
        try:
            if not entry.is_file(follow_symlinks=False) or entry.stat(follow_symlinks=False).st_mtime > cutoff:
                continue
            os.unlink(entry.path)
            removed += 1
        except OSError:
            continue
    if removed:
        log.info("Removed %d temp file(s) left in %s by an interrupted save", removed, folder)
    return removed


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

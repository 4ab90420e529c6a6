"""Finding the documents under the folders and files the user added.

Symbolic links are followed, but no folder (and no file) is visited twice, so a link back to a
parent folder ends the walk there. Hidden files and folders (names starting with ".") are left
out. What cannot be opened is listed with a plain reason rather than stopping the walk.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from hitl_desktop.core.sources.model import Cancelled, SkippedFile
from hitl_desktop.core.sources.readers import SUPPORTED_SUFFIXES, is_supported

# Folders holding more documents than this are indexed up to it; the rest are listed as skipped.
MAX_FILES = 50_000


@dataclass(frozen=True)
class FoundFile:
    path: str
    root: str
    size: int
    mtime_ns: int


def find_documents(roots: Sequence[Path], cancelled: Callable[[], bool]
                   ) -> tuple[list[FoundFile], list[SkippedFile], int]:
    """Supported files under the roots, each once; what could not be walked; unsupported count."""
    found: dict[tuple[int, int], FoundFile] = {}
    skipped: list[SkippedFile] = []
    seen_dirs: set[tuple[int, int]] = set()
    unsupported = 0

    def add(path: str, root: str, info: os.stat_result) -> None:
        nonlocal unsupported
        key = (info.st_dev, info.st_ino)
        if key in found:
            return
        if len(found) >= MAX_FILES:
            if len(found) == MAX_FILES and not any(s.path == root for s in skipped):
                skipped.append(SkippedFile(root, f"more than {MAX_FILES} documents: the rest "
                                                 "were left out"))
            return
        found[key] = FoundFile(path, root, info.st_size, info.st_mtime_ns)

    for root_path in roots:
        root = os.path.abspath(os.path.expanduser(str(root_path)))
        try:
            info = os.stat(root)
        except FileNotFoundError:
            skipped.append(SkippedFile(root, "not found"))
            continue
        except OSError as exc:
            skipped.append(SkippedFile(root, f"cannot be opened ({os_reason(exc)})"))
            continue
        if stat.S_ISREG(info.st_mode):
            if is_supported(Path(root)):
                add(root, root, info)
            else:
                skipped.append(SkippedFile(root, _unsupported_reason(root)))
            continue
        if not stat.S_ISDIR(info.st_mode):
            skipped.append(SkippedFile(root, "not a file or folder"))
            continue
        for path, entry_info, error in _files_under(root, info, seen_dirs, cancelled):
            if error is not None:
                skipped.append(SkippedFile(path, error))
            elif is_supported(Path(path)):
                add(path, root, entry_info)
            else:
                unsupported += 1
    return sorted(found.values(), key=lambda f: f.path), skipped, unsupported


def _files_under(folder: str, info: os.stat_result, seen_dirs: set[tuple[int, int]],
                 cancelled: Callable[[], bool]) -> Iterator[tuple[str, os.stat_result, str | None]]:
    """(path, stat, None) for each regular file, or (path, stat, reason) for an unreadable folder."""
    stack = [(folder, info)]
    while stack:
        if cancelled():
            raise Cancelled
        current, current_info = stack.pop()
        key = (current_info.st_dev, current_info.st_ino)
        if key in seen_dirs:
            continue
        seen_dirs.add(key)
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            yield current, current_info, f"folder cannot be opened ({os_reason(exc)})"
            continue
        subfolders = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            try:
                entry_info = entry.stat()  # follows links
            except OSError:
                continue  # a broken link, or a file gone meanwhile
            if stat.S_ISDIR(entry_info.st_mode):
                subfolders.append((entry.path, entry_info))
            elif stat.S_ISREG(entry_info.st_mode):
                yield entry.path, entry_info, None
        stack.extend(reversed(subfolders))


def os_reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _unsupported_reason(path: str) -> str:
    suffix = Path(path).suffix.lower() or "no suffix"
    kinds = ", ".join(SUPPORTED_SUFFIXES)
    return f"not a supported type ({suffix}; supported: {kinds})"

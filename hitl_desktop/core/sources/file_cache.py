"""The cache of what each document file gave (`files.jsonl`): its identity on disk, its title and
passages, or why it was skipped.

JSON Lines, one file a line after a header line, read and written a line at a time. The library
refreshes on a worker thread, and one `json.dumps` or `json.loads` of the whole cache (17 MB for
10 MB of documents) is a single C call that holds Python's GIL throughout: the window froze for
140 ms while it was written. A line is a few kilobytes.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from hitl_desktop.core.atomic_file import atomic_write_chunks

CACHE_FILE = "files.jsonl"
# The cache before it was JSON Lines (one JSON document): removed when the new one is written.
OLD_CACHE_FILE = "sources.json"
CACHE_FORMAT = 2


@dataclass
class FileEntry:
    """One file as last seen: its identity on disk and what was made of it."""

    root: str
    size: int
    mtime_ns: int
    sha256: str
    title: str = ""
    skipped: str | None = None
    passages: list[tuple[str, str, str]] | None = None  # (location, text, space-joined tokens)

    def to_json(self) -> dict:
        return {"root": self.root, "size": self.size, "mtime_ns": self.mtime_ns,
                "sha256": self.sha256, "title": self.title, "skipped": self.skipped,
                "passages": self.passages or []}

    @classmethod
    def from_json(cls, data: dict) -> FileEntry:
        passages = [(str(loc), str(text), str(tokens)) for loc, text, tokens in data["passages"]]
        skipped = data["skipped"]
        return cls(str(data["root"]), int(data["size"]), int(data["mtime_ns"]),
                   str(data["sha256"]), str(data["title"]),
                   None if skipped is None else str(skipped), passages)


def write_cache(folder: Path, generation: str, entries: Mapping[str, FileEntry]) -> None:
    """Write the cache atomically (the commit point of a refresh)."""
    atomic_write_chunks(folder / CACHE_FILE, _lines(generation, entries))
    with contextlib.suppress(OSError):  # the cache is saved: an old file left behind is harmless
        (folder / OLD_CACHE_FILE).unlink(missing_ok=True)


def read_cache(folder: Path) -> tuple[str, dict[str, FileEntry]] | None:
    """The generation and entries in the cache; None if there is none. Raises ValueError (or
    TypeError, KeyError, AttributeError) when it is damaged; OSError when it cannot be read."""
    try:
        raw = (folder / CACHE_FILE).read_bytes()
    except FileNotFoundError:
        return None
    lines = raw.split(b"\n")
    header = json.loads(lines[0])
    if header.get("format") != CACHE_FORMAT:
        raise ValueError(f"format {header.get('format')!r}")
    entries: dict[str, FileEntry] = {}
    for line in lines[1:]:
        if line:
            path, entry = json.loads(line)
            entries[str(path)] = FileEntry.from_json(entry)
    if len(entries) != header["files"]:  # cut short: the file was damaged after it was written
        raise ValueError(f"{len(entries)} of {header['files']} files")
    return str(header["generation"]), entries


def _lines(generation: str, entries: Mapping[str, FileEntry]) -> Iterator[bytes]:
    yield _line({"format": CACHE_FORMAT, "generation": generation, "files": len(entries)})
    for path, entry in entries.items():
        yield _line([path, entry.to_json()])


def _line(value: object) -> bytes:
    # JSON escapes line breaks inside strings, so a value is always one line.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"

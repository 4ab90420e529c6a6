"""Saving a report as a file. The suffix picks the format; every write is atomic.

Qt-free except for formats that render through Qt (imported only when used).
"""

from __future__ import annotations

import errno
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from hitl_desktop.atomic_file import atomic_write_bytes
from hitl_desktop.errors import ErrorKind, UserFacingError
from hitl_desktop.models import Report


@dataclass(frozen=True)
class ExportFormat:
    suffix: str
    label: str
    render: Callable[[Report], bytes]


def _render_markdown(report: Report) -> bytes:
    from hitl_desktop.export.markdown import render_markdown

    return render_markdown(report).encode("utf-8")


FORMATS: dict[str, ExportFormat] = {
    ".md": ExportFormat(".md", "Markdown", _render_markdown),
}

_UNSAFE_FILENAME_CHARS = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')
_MAX_STEM_CHARS = 80


def name_filters() -> list[str]:
    """File-dialog filters, one per format, e.g. 'Markdown (*.md)'."""
    return [f"{fmt.label} (*{fmt.suffix})" for fmt in FORMATS.values()]


def suggested_filename(topic: str, when: datetime, suffix: str = ".md") -> str:
    """A name safe on every OS: topic words, then the date, with no reserved characters."""
    text = unicodedata.normalize("NFC", " ".join(topic.split()))
    text = _UNSAFE_FILENAME_CHARS.sub(" ", text)
    stem = "-".join(text.split()).strip(".-") or "report"
    stem = stem[:_MAX_STEM_CHARS].rstrip(".-")
    return f"{stem}-{when:%Y-%m-%d}{suffix}"


def format_for(path: Path) -> ExportFormat:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(FORMATS)
        raise UserFacingError(f"Cannot save as '{path.suffix or path.name}'.",
                              f"Choose one of: {known}.", ErrorKind.BAD_INPUT)
    return fmt


def save_report(path: Path | str, report: Report) -> Path:
    """Write `report` to `path` in the format its suffix names. Raises UserFacingError."""
    path = Path(path)
    data = format_for(path).render(report)
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise _save_error(path, exc) from exc
    return path


def _save_error(path: Path, exc: OSError) -> UserFacingError:
    keep = "The report is still in the app; choose another place."
    reasons = {
        errno.EACCES: f"You do not have permission to write in {path.parent}.",
        errno.EPERM: f"You do not have permission to write in {path.parent}.",
        errno.EROFS: f"{path.parent} is on a read-only disk.",
        errno.ENOSPC: f"The disk holding {path.parent} is full.",
        errno.ENAMETOOLONG: "The file name or path is too long.",
        errno.ENOENT: f"The folder {path.parent} does not exist.",
        errno.EISDIR: f"{path} is a folder.",
    }
    message = reasons.get(exc.errno or 0, f"Could not save {path.name}: {exc.strerror or exc}.")
    return UserFacingError(message, keep, ErrorKind.IO)

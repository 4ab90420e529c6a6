"""Saving a report as a file. The suffix picks the format; every write is atomic.

The core's formats (Markdown, HTML, Word, plain text) are registered here; each renderer's module
is imported only when it is used (python-docx is slow to import). PDF renders through Qt, so it
lives in the UI layer and registers itself (`hitl_desktop.ui.pdf_export`): a script that uses only
the core saves the four Qt-free formats.

Every format says where a report came from and, when the report carries its provenance
(`hitl_desktop.core.provenance`), how it was made. `provenance=False` leaves all of that out: the
person saving decides, and every call here takes the switch (on by default).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from hitl_desktop.core.atomic_file import atomic_write_bytes
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.models import Report
from hitl_desktop.core.text_safety import clean_text

if TYPE_CHECKING:
    from hitl_desktop.core.export import render_process

log = logging.getLogger(__name__)


class Renderer(Protocol):
    """Renders a report as a file's bytes; `provenance` False leaves out where and how it was made."""

    def __call__(self, report: Report, *, provenance: bool = True) -> bytes: ...


@dataclass(frozen=True)
class ExportFormat:
    suffix: str
    label: str
    render: Renderer
    # What this format cannot keep of a report, as (message, hint) for the person saving it, or
    # None when nothing is lost (a PDF cannot show characters no installed font draws).
    losses: Callable[[Report], tuple[str, str] | None] | None = None
    # Renders through Qt (PDF): only on the thread that saves (Qt's text objects belong to the
    # thread that makes them), and a long report in a second process (Qt keeps Python's lock
    # through its long calls, which would freeze the window; see `render_process`).
    thread_bound: bool = False
    # A format rendered in a second process may have its input made meanwhile by another process
    # (the one rendering the Qt-free formats, else the one saving): `prepare(report, provenance)`
    # yields it in pieces (plain Python, Qt-free, a module's function: it is sent by name; the
    # PDF's HTML, a part of the report at a time), and `render_prepared(report, pieces,
    # provenance)` renders from them as they come, the same bytes as `render`. See
    # `render_process`.
    prepare: Callable[[Report, bool], Iterable[str]] | None = None
    render_prepared: Callable[[Report, Iterator[str], bool], bytes] | None = None


class PreparedInputLost(Exception):
    """The pieces a `render_prepared` was reading stopped short: render from the report instead."""


def _render_markdown(report: Report, *, provenance: bool = True) -> bytes:
    from hitl_desktop.core.export.markdown import render_markdown

    return render_markdown(report, provenance=provenance).encode("utf-8")


def _render_html(report: Report, *, provenance: bool = True) -> bytes:
    from hitl_desktop.core.export.html import render_html

    return render_html(report, provenance=provenance).encode("utf-8")


def _render_docx(report: Report, *, provenance: bool = True) -> bytes:
    from hitl_desktop.core.export import docx

    return docx.render_docx(report, provenance=provenance)


def _render_text(report: Report, *, provenance: bool = True) -> bytes:
    from hitl_desktop.core.export.text import render_text

    return render_text(report, provenance=provenance).encode("utf-8")


# In the order the save dialog offers them.
FORMATS: dict[str, ExportFormat] = {
    ".md": ExportFormat(".md", "Markdown", _render_markdown),
    ".html": ExportFormat(".html", "Web page (HTML)", _render_html),
    ".docx": ExportFormat(".docx", "Word document", _render_docx),
    ".txt": ExportFormat(".txt", "Plain text", _render_text),
}


def register(fmt: ExportFormat, *, before: str | None = None) -> None:
    """Offer one more format (one rendered outside the core), placed before `before` if given."""
    entries = [(suffix, known) for suffix, known in FORMATS.items() if suffix != fmt.suffix]
    at = next((i for i, (suffix, _) in enumerate(entries) if suffix == before), len(entries))
    entries.insert(at, (fmt.suffix, fmt))
    FORMATS.clear()
    FORMATS.update(entries)


_ALIASES = {".htm": ".html", ".markdown": ".md", ".text": ".txt"}

# Unsafe somewhere, plus commas and semicolons: legal, but awkward in shells and lists.
_UNSAFE_FILENAME_CHARS = re.compile(r'[\\/:*?"<>|,;\x00-\x1f\x7f]+')
_MAX_STEM_CHARS = 80
_MAX_STEM_BYTES = 150  # names are limited to 255 bytes on most file systems; leave room
# Windows refuses these as a name, with or without an extension ("CON.txt" too).
_WINDOWS_RESERVED = frozenset({"CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$",
                               *(f"COM{i}" for i in "0123456789¹²³"),
                               *(f"LPT{i}" for i in "0123456789¹²³")})


def name_filters() -> list[str]:
    """File-dialog filters, one per format, e.g. 'Markdown (*.md)'."""
    return [f"{fmt.label} (*{fmt.suffix})" for fmt in FORMATS.values()]


def suffix_for_filter(name_filter: str) -> str:
    """The suffix a name filter from name_filters() stands for ('.md' if unknown)."""
    for fmt in FORMATS.values():
        if name_filter.endswith(f"(*{fmt.suffix})"):
            return fmt.suffix
    return ".md"


def suggested_filename(topic: str, when: datetime, suffix: str = ".md") -> str:
    """A name safe on every OS: topic words, then the date, with no reserved characters."""
    return f"{suggested_stem(topic, when)}{suffix}"


def suggested_stem(topic: str, when: datetime) -> str:
    # Valid text first: a lone surrogate cannot be measured in UTF-8 bytes, let alone saved.
    text = unicodedata.normalize("NFC", " ".join(clean_text(topic).split()))
    # Format characters include bidi overrides that can disguise a name ("report\u202efdp.exe");
    # the zero-width joiner stays so emoji sequences survive.
    text = "".join(ch for ch in text if ch == "\u200d" or unicodedata.category(ch) != "Cf")
    text = _UNSAFE_FILENAME_CHARS.sub(" ", text)
    stem = "-".join(text.split()).strip(".-") or "report"
    stem = stem[:_MAX_STEM_CHARS]
    while len(stem.encode("utf-8")) > _MAX_STEM_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(".-\u200d") or "report"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"report-{stem}"
    return f"{stem}-{when:%Y-%m-%d}"


def format_for(path: Path) -> ExportFormat:
    suffix = path.suffix.lower()
    fmt = FORMATS.get(_ALIASES.get(suffix, suffix))
    if fmt is None:
        known = ", ".join(FORMATS)
        raise UserFacingError(f"Cannot save as '{path.suffix or path.name}'.",
                              f"Choose one of: {known}.", ErrorKind.BAD_INPUT)
    return fmt


def render(report: Report, fmt: ExportFormat, *, provenance: bool = True,
           prepared: Iterator[str] | None = None) -> bytes:
    """The report in one format, or a UserFacingError (a renderer bug must not lose the report).
    `prepared`: the pieces `fmt.prepare` made of it, rendered from if the format can."""
    report = clean_report(report)
    try:
        if prepared is not None and fmt.render_prepared is not None:
            try:
                return fmt.render_prepared(report, prepared, provenance)
            except PreparedInputLost:
                log.warning("The %s's prepared input stopped short; rendering it from the report",
                            fmt.label)
        return fmt.render(report, provenance=provenance)
    except UserFacingError:
        raise
    except Exception as exc:  # noqa: BLE001 - any renderer failure becomes one clear message
        log.exception("Rendering the report as %s failed", fmt.label)
        raise UserFacingError(f"Could not produce the {fmt.label}: {type(exc).__name__}.",
                              "The report is still in the app; try another format.",
                              ErrorKind.INTERNAL) from exc


def clean_report(report: Report) -> Report:
    """`report` with only valid text in it: model output is cleaned where it enters the app,
    but a report may come from elsewhere (a script, an older session), and a lone surrogate or a
    NUL would make a format fail to encode (see `hitl_desktop.core.text_safety`)."""
    topic, markdown, model = (clean_text(report.topic), clean_text(report.markdown),
                              clean_text(report.model))
    if (topic, markdown, model) == (report.topic, report.markdown, report.model):
        return report
    return replace(report, topic=topic, markdown=markdown, model=model)


def save_report(path: Path | str, report: Report, *, provenance: bool = True) -> Path:
    """Write `report` to `path` in the format its suffix names, saying where and how it was made
    unless `provenance` is False. Raises UserFacingError."""
    from hitl_desktop.core.export import render_process

    path = Path(path)
    fmt = format_for(path)
    if fmt.thread_bound and render_process.is_long(report):
        _save_in_children([path], [fmt], report, provenance)
    else:
        _write(path, render(report, fmt, provenance=provenance))
    return path


def _write(path: Path, data: bytes) -> None:
    try:
        atomic_write_bytes(path, data)
    except OSError as exc:
        raise _save_error(path, exc) from exc


def losses_in(paths: list[Path], report: Report, *, provenance: bool = True) -> list[tuple[str, str]]:
    """What the files at `paths` could not keep of `report`, one (message, hint) per file that
    lost something. Saving never fails for this: the person is told, and the other formats keep
    everything."""
    if not provenance:
        report = replace(report, provenance=None)
    found = []
    for path in paths:
        fmt = format_for(path)
        lost = fmt.losses(clean_report(report)) if fmt.losses is not None else None
        if lost is not None:
            message, hint = lost
            found.append((f"{path.name}: {message}", hint))
    return found


def all_format_paths(folder: Path | str, stem: str) -> list[Path]:
    """Where 'export all formats' writes: one file per format, same name, in `folder`."""
    return [Path(folder) / f"{stem}{suffix}" for suffix in FORMATS]


def save_all(folder: Path | str, stem: str, report: Report, *, provenance: bool = True) -> list[Path]:
    """Write every format into `folder`, in the order of FORMATS. Stops at the first failure
    (files already written stay, each complete). Raises UserFacingError.

    A long report renders in two second processes at once, one for the formats Qt renders (PDF)
    and one for the others (`render_process`): Python runs one thread at a time and Qt keeps that
    lock through most of the PDF, so threads would mostly wait, and the window with them. A
    short one renders here, the Qt formats on this thread and the others on a helper thread,
    the report parsed once for all of them."""
    from hitl_desktop.core.export import render_process

    paths = all_format_paths(folder, stem)
    formats = [format_for(path) for path in paths]
    if render_process.is_long(report):
        _save_in_children(paths, formats, report, provenance)
    else:
        _save_with_helper_thread(paths, formats, report, provenance)
    return paths


def _save_in_children(paths: list[Path], formats: list[ExportFormat], report: Report,
                      provenance: bool) -> None:
    """Write each format as its second process renders it, in order; one that has no process,
    or whose process could not render it, renders here."""
    children: dict[str, render_process.RenderProcess] = {}
    try:
        children = _start_children(report, formats, provenance)
        for path, fmt in zip(paths, formats, strict=True):
            child = children.get(fmt.suffix)
            data = child.result(fmt.suffix) if child is not None else None
            if data is None:
                data = render(report, fmt, provenance=provenance)
            _write(path, data)
    finally:
        for child in set(children.values()):
            child.close()


def _start_children(report: Report, formats: list[ExportFormat],
                    provenance: bool) -> dict[str, render_process.RenderProcess]:
    """Second processes for `formats`, by suffix: one for those rendered through Qt, one for the
    others, which first makes the input the Qt one can have made elsewhere (the PDF's HTML: the
    report parsed once for both); this process makes it if that one cannot start."""
    from hitl_desktop.core.export import render_process

    qt_group = [fmt for fmt in formats if fmt.thread_bound]
    others = [fmt for fmt in formats if not fmt.thread_bound]
    prepared = next((fmt for fmt in qt_group
                     if fmt.prepare is not None and fmt.render_prepared is not None), None)
    children: dict[str, render_process.RenderProcess] = {}
    qt_child = render_process.RenderProcess.start(
        report, [fmt.suffix for fmt in qt_group], provenance=provenance, qt=True,
        prepared_suffix=prepared.suffix if prepared else None) if qt_group else None
    if qt_child is not None:
        children.update(dict.fromkeys([fmt.suffix for fmt in qt_group], qt_child))
    make = prepared.prepare if prepared is not None and qt_child is not None else None
    other_child = render_process.RenderProcess.start(
        report, [fmt.suffix for fmt in others], provenance=provenance, qt=False,
        make_pieces=make, relay_to=qt_child) if others else None
    if other_child is not None:
        children.update(dict.fromkeys([fmt.suffix for fmt in others], other_child))
    if make is not None and qt_child is not None and other_child is None:
        qt_child.make_here(make(clean_report(report), provenance))  # here, while Qt starts there
    return children


def _save_with_helper_thread(paths: list[Path], formats: list[ExportFormat], report: Report,
                             provenance: bool) -> None:
    from hitl_desktop.core.export.parsing import parse, shared_parses

    with shared_parses(), ThreadPoolExecutor(max_workers=1, thread_name_prefix="export") as helper:
        with contextlib.suppress(Exception):  # a parser failure shows in each format's render()
            parse(clean_report(report).markdown)  # before either thread asks for it
        context = copy_context()  # the helper's renders see the same shared parses
        rendering = {fmt.suffix: helper.submit(context.run, render, report, fmt, provenance=provenance)
                     for fmt in formats if not fmt.thread_bound}
        try:
            for path, fmt in zip(paths, formats, strict=True):
                future = rendering.get(fmt.suffix)
                data = future.result() if future else render(report, fmt, provenance=provenance)
                _write(path, data)
        finally:
            for future in rendering.values():
                future.cancel()  # after a failure, nothing more is rendered


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

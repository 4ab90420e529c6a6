"""Word files (python-docx): paragraphs and tables, located by the Title/Heading n styles.

A .docx is a zip archive: its declared uncompressed sizes and compression ratios are checked
before python-docx opens it, so a "zip bomb" renamed to .docx is refused unread.
"""

from __future__ import annotations

import io
import zipfile

from hitl_desktop.core.sources.parsed import Block, Outline, ParsedDocument, Unusable, normalise_space

# A .docx unpacked: text is XML, a few MB for a long book; images are stored, not compressed.
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024
# Word's XML compresses 5–20 times; a member expanding more than this is built to expand.
MAX_DOCX_RATIO = 100
# Members below this size are never refused for their ratio (tiny files compress oddly).
DOCX_RATIO_FLOOR_BYTES = 1024 * 1024


def check_zip_bomb(data: bytes) -> None:
    """Refuse an archive whose declared contents are too large, or that expands suspiciously.

    Reads only the zip's central directory: nothing is decompressed. The declared sizes bind:
    zipfile stops reading a member at its declared size, so a member that lies cannot expand
    past what is checked here.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise Unusable("damaged Word file (not a valid .docx archive)") from None
    total = 0
    for member in members:
        total += member.file_size
        if total > MAX_DOCX_UNPACKED_BYTES:
            raise Unusable(f"Word file unpacks to more than {MAX_DOCX_UNPACKED_BYTES // 2**20} MB")
        if (member.file_size > DOCX_RATIO_FLOOR_BYTES
                and member.file_size > MAX_DOCX_RATIO * max(member.compress_size, 1)):
            raise Unusable("Word file expands suspiciously (a compressed-file bomb?)")


def _docx_heading_level(paragraph: object) -> int | None:
    """0 for the Title style, 1–9 for Heading n; None for body text."""
    try:
        style = paragraph.style  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 (a missing style is body text)
        return None
    if style is None:
        return None
    for name in (style.style_id or "", style.name or ""):
        compact = name.replace(" ", "").lower()
        if compact == "title":
            return 0
        if compact.startswith("heading") and compact[7:].isdigit():
            return int(compact[7:])
    return None


def read_docx(data: bytes) -> ParsedDocument:
    check_zip_bomb(data)
    import docx
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    outline = Outline()
    blocks: list[Block] = []
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            for row in item.rows:
                cells = [normalise_space(cell.text) for cell in row.cells]
                line = " | ".join(dict.fromkeys(c for c in cells if c))  # merged cells repeat
                if line:
                    blocks.append(Block(outline.location, line))
            continue
        text = normalise_space(item.text)
        if not text:
            continue
        level = _docx_heading_level(item)
        if level is None:
            blocks.append(Block(outline.location, text))
        else:
            outline.enter(level, text)
    return ParsedDocument(outline.title, blocks)

"""Turn one file into a `ParsedDocument`, or say plainly why not: the suffix picks the reader.

No reader lets any exception but `Unusable` out: `read_document` turns surprises into "could not
be read". Files larger than MAX_FILE_BYTES (20 MB) are not read at all, so that no single file can
exhaust memory or time.
"""

from __future__ import annotations

import logging
from pathlib import Path

from hitl_desktop.core.sources.docx_reader import read_docx
from hitl_desktop.core.sources.html_reader import read_html
from hitl_desktop.core.sources.parsed import ParsedDocument, Unusable
from hitl_desktop.core.sources.pdf_reader import read_pdf
from hitl_desktop.core.sources.text_reader import decode_text, read_markdown, read_plain_text

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024

MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
SUPPORTED_SUFFIXES = (*MARKDOWN_SUFFIXES, *TEXT_SUFFIXES, *HTML_SUFFIXES, *PDF_SUFFIXES,
                      *DOCX_SUFFIXES)


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def read_document(path: Path, data: bytes) -> ParsedDocument:
    """Parse `data`, the bytes of `path`; the suffix picks the reader."""
    suffix = path.suffix.lower()
    if not data:
        raise Unusable("empty")
    try:
        if suffix in MARKDOWN_SUFFIXES:
            document = read_markdown(decode_text(data))
        elif suffix in TEXT_SUFFIXES:
            document = read_plain_text(decode_text(data))
        elif suffix in HTML_SUFFIXES:
            document = read_html(decode_text(data, html=True))
        elif suffix in PDF_SUFFIXES:
            document = read_pdf(data)
        elif suffix in DOCX_SUFFIXES:
            document = read_docx(data)
        else:
            raise Unusable(f"not a supported type ({suffix or 'no suffix'})")
    except Unusable:
        raise
    except RecursionError:
        raise Unusable("too deeply nested to read") from None
    except MemoryError:
        raise Unusable("too large to read") from None
    except Exception as exc:  # noqa: BLE001 (a reader's surprise is one file's problem)
        log.warning("Could not read %s: %s: %s", path, type(exc).__name__, exc)
        raise Unusable("could not be read (damaged or not what its name says)") from exc
    if not any(block.text for block in document.blocks):
        raise Unusable("empty" if suffix not in PDF_SUFFIXES else
                       "no text in it (a scanned PDF needs text recognition first)")
    return document

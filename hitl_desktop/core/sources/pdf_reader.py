"""PDF files (pypdf): the text of each page, located by page number."""

from __future__ import annotations

import io
import logging

from hitl_desktop.core.sources.parsed import Block, ParsedDocument, Unusable, normalise_space, paragraphs

log = logging.getLogger(__name__)

# pypdf reports every oddity of a damaged file as a warning; one "could not be read" is enough.
logging.getLogger("pypdf").setLevel(logging.ERROR)

# pypdf decrypts AES with the `cryptography` package, which the desktop bundle leaves out (README,
# "Bundle size"); without it pypdf raises DependencyError, which must not read as "damaged" or
# "needs a password". RC4-encrypted PDFs it decrypts with code of its own.
AES_UNAVAILABLE = "AES-encrypted PDF (this build cannot decrypt it: save an unprotected copy)"


def read_pdf(data: bytes) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted only to set permissions, with an empty password to open.
            try:
                opened = reader.decrypt("")
            except DependencyError:
                raise
            except Exception:  # noqa: BLE001 (unsupported algorithms raise their own types)
                opened = 0
            if not opened:
                raise Unusable("encrypted PDF (it needs a password)")
        pages = reader.pages
        count = len(pages)
    except Unusable:
        raise
    except DependencyError:  # from the reader too: it tries the empty password itself
        raise Unusable(AES_UNAVAILABLE) from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        log.info("Damaged PDF: %s", exc)
        raise Unusable("damaged PDF") from None
    title = None
    try:
        if reader.metadata is not None and reader.metadata.title:
            title = normalise_space(str(reader.metadata.title)) or None
    except Exception:  # noqa: BLE001 (metadata is optional; a broken one is ignored)
        title = None
    blocks: list[Block] = []
    unreadable = 0
    for number in range(count):
        try:
            text = pages[number].extract_text() or ""
        except DependencyError:  # AES-128: the password check passed, the content cannot be read
            raise Unusable(AES_UNAVAILABLE) from None
        except Exception:  # noqa: BLE001 (one broken page leaves the rest readable)
            unreadable += 1
            continue
        location = f"page {number + 1}"
        blocks += [Block(location, p) for p in paragraphs(text.splitlines())]
    if unreadable == count and count:
        raise Unusable("damaged PDF")
    return ParsedDocument(title, blocks)

"""Turn one file into a title and a list of located paragraphs, or say plainly why not.

Every reader returns a `ParsedDocument`: `blocks` are paragraphs in reading order, each with the
place it sits in ("Costs › Capital costs", "page 3", or "" when the document has no structure).
A file that cannot be used raises `Unusable(reason)` with a short phrase for the Sources panel;
no reader lets any other exception out (`read_document` turns surprises into "could not be read").

Limits, so that no single file can exhaust memory or time:
- MAX_FILE_BYTES: files larger than 20 MB are not read at all;
- Word files are zip archives: their declared uncompressed sizes and compression ratios are
  checked before python-docx opens them (a "zip bomb" renamed to .docx is refused unread).
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
# A .docx unpacked: text is XML, a few MB for a long book; images are stored, not compressed.
MAX_DOCX_UNPACKED_BYTES = 200 * 1024 * 1024
# Word's XML compresses 5–20 times; a member expanding more than this is built to expand.
MAX_DOCX_RATIO = 100
# Members below this size are never refused for their ratio (tiny files compress oddly).
DOCX_RATIO_FLOOR_BYTES = 1024 * 1024

MARKDOWN_SUFFIXES = (".md", ".markdown")
TEXT_SUFFIXES = (".txt",)
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
DOCX_SUFFIXES = (".docx",)
SUPPORTED_SUFFIXES = (*MARKDOWN_SUFFIXES, *TEXT_SUFFIXES, *HTML_SUFFIXES, *PDF_SUFFIXES,
                      *DOCX_SUFFIXES)

HEADING_SEPARATOR = " › "

_SPACE = re.compile(r"\s+")


class Unusable(Exception):  # noqa: N818 (carries a reason, not a failure of ours)
    """The file cannot be used; `reason` says why in a few plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Block:
    location: str
    text: str


@dataclass(frozen=True)
class ParsedDocument:
    title: str | None  # the first heading, when the document has one
    blocks: list[Block]


def is_supported(path: Path) -> bool:
    return path.suffix.lower() in SUPPORTED_SUFFIXES


def normalise_space(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


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


# --- Text ---------------------------------------------------------------------------------------

_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


def decode_text(data: bytes, *, html: bool = False) -> str:
    """Bytes of a text file as str; Unusable("not text (binary)") for anything else."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                raise Unusable("not text (binary)") from None
    if b"\x00" in data[:65536]:
        raise Unusable("not text (binary)")
    encodings = ["utf-8"]
    if html and (declared := _META_CHARSET.search(data[:4096])):
        encodings.insert(0, declared.group(1).decode("ascii").lower())
    encodings.append("cp1252")  # the usual non-UTF-8 text on Windows
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
        sample = text[:65536]
        if sample and len(_CONTROL.findall(sample)) > len(sample) // 100:
            raise Unusable("not text (binary)")
        return text
    raise Unusable("not text (binary)")


class _Outline:
    """The heading path at the current point of a document.

    The document's title (its first heading, when no later heading is more senior) is left out of
    locations, so a section reads "Costs › Capital costs" rather than repeating the title.
    """

    def __init__(self) -> None:
        self.title: str | None = None
        self._title_level = 0
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, text: str) -> None:
        text = normalise_space(text)
        if not text:
            return
        if self.title is None:
            self.title, self._title_level = text, level
            return
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, text))

    @property
    def location(self) -> str:
        if self._stack:
            return HEADING_SEPARATOR.join(text for _, text in self._stack)
        return self.title or ""


def _paragraphs(lines: Iterable[str]) -> Iterator[str]:
    """Runs of non-blank lines, whitespace normalised."""
    current: list[str] = []
    for line in lines:
        if line.strip():
            current.append(line)
        elif current:
            yield normalise_space(" ".join(current))
            current = []
    if current:
        yield normalise_space(" ".join(current))


def read_plain_text(text: str) -> ParsedDocument:
    return ParsedDocument(None, [Block("", p) for p in _paragraphs(text.splitlines())])


# --- Markdown -----------------------------------------------------------------------------------

_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_HEADING_MARKUP = re.compile(r"[*_`]+")


def _heading_text(raw: str) -> str:
    return normalise_space(_HEADING_MARKUP.sub("", raw))


def read_markdown(text: str) -> ParsedDocument:
    lines = text.splitlines()
    if lines and lines[0].strip() == "---":  # YAML front matter is metadata, not prose
        for end in range(1, min(len(lines), 200)):
            if lines[end].strip() in ("---", "..."):
                lines = lines[end + 1:]
                break
    outline = _Outline()
    blocks: list[Block] = []
    paragraph: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if paragraph:
            joined = normalise_space(" ".join(paragraph))
            if joined:
                blocks.append(Block(outline.location, joined))
            paragraph.clear()

    for line in lines:
        if fence is not None:  # inside a code block: text, never headings
            paragraph.append(line)
            if line.strip().startswith(fence):
                fence = None
                flush()
            continue
        if match := _FENCE.match(line):
            flush()
            fence = match.group(1)[0] * 3
            paragraph.append(line)
            continue
        if match := _ATX.match(line):
            flush()
            outline.enter(len(match.group(1)), _heading_text(match.group(2) or ""))
            continue
        if paragraph and len(paragraph) == 1 and (match := _SETEXT.match(line)):
            heading = paragraph.pop()
            outline.enter(1 if match.group(1)[0] == "=" else 2, _heading_text(heading))
            continue
        if not line.strip():
            flush()
        else:
            paragraph.append(line)
    flush()
    return ParsedDocument(outline.title, blocks)


# --- HTML ---------------------------------------------------------------------------------------

# Elements whose text is not shown as prose. (Not <head>: its end tag is optional, and its own
# text, the <title>, is handled apart.)
_INVISIBLE = {"script", "style", "noscript", "template", "svg", "math", "iframe", "object",
              "canvas", "select"}
_BLOCK = {"p", "div", "li", "ul", "ol", "dl", "dt", "dd", "br", "tr", "table", "section",
          "article", "blockquote", "pre", "hr", "header", "footer", "nav", "main", "aside",
          "figure", "figcaption", "form", "fieldset", "details", "summary", "address", "body",
          "caption", "thead", "tbody", "tfoot"}
_CELL = {"td", "th"}
_HEADINGS = {f"h{level}": level for level in range(1, 7)}


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.outline = _Outline()
        self.blocks: list[Block] = []
        self.page_title = ""
        self._hidden: list[str] = []
        self._in_title = False
        self._heading: tuple[int, list[str]] | None = None
        self._text: list[str] = []

    def _flush(self) -> None:
        joined = normalise_space(" ".join(self._text))
        self._text = []
        if joined:
            self.blocks.append(Block(self.outline.location, joined))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title" and not self._hidden:
            self._in_title = True
            return
        if tag in _INVISIBLE:
            self._hidden.append(tag)
            return
        if self._hidden:
            return
        if tag in _HEADINGS:
            self._flush()
            self._heading = (_HEADINGS[tag], [])
        elif tag in _BLOCK:
            self._flush()
        elif tag in _CELL:
            self._text.append(" | " if self._text else "")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK and not self._hidden:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        if tag in _INVISIBLE:
            if tag in self._hidden:  # close up to the matching opener (HTML is often unbalanced)
                while self._hidden and self._hidden.pop() != tag:
                    pass
            return
        if self._hidden:
            return
        if tag in _HEADINGS and self._heading is not None:
            level, parts = self._heading
            self._heading = None
            self.outline.enter(level, " ".join(parts))
        elif tag in _BLOCK:
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.page_title += data
            return
        if self._hidden:
            return
        if self._heading is not None:
            self._heading[1].append(data)
        else:
            self._text.append(data)

    def close(self) -> None:
        super().close()
        self._flush()


def read_html(text: str) -> ParsedDocument:
    parser = _VisibleText()
    parser.feed(text)
    parser.close()
    title = parser.outline.title or normalise_space(parser.page_title) or None
    return ParsedDocument(title, parser.blocks)


# --- PDF ----------------------------------------------------------------------------------------

# pypdf reports every oddity of a damaged file as a warning; one "could not be read" is enough.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def read_pdf(data: bytes) -> ParsedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Many PDFs are encrypted only to set permissions, with an empty password to open.
            try:
                opened = reader.decrypt("")
            except Exception:  # noqa: BLE001 (unsupported algorithms raise their own types)
                opened = 0
            if not opened:
                raise Unusable("encrypted PDF (it needs a password)")
        pages = reader.pages
        count = len(pages)
    except Unusable:
        raise
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
        except Exception:  # noqa: BLE001 (one broken page leaves the rest readable)
            unreadable += 1
            continue
        location = f"page {number + 1}"
        blocks += [Block(location, p) for p in _paragraphs(text.splitlines())]
    if unreadable == count and count:
        raise Unusable("damaged PDF")
    return ParsedDocument(title, blocks)


# --- Word ---------------------------------------------------------------------------------------

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
    outline = _Outline()
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

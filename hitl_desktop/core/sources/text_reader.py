"""Plain text and Markdown files: decoding bytes of unknown encoding, and Markdown's headings.

Markdown is read line by line rather than with a full parser: only headings (ATX and setext),
fenced code and paragraphs matter for passages, and YAML front matter is left out.
"""

from __future__ import annotations

import codecs
import re

from hitl_desktop.core.sources.parsed import (
    Block,
    Outline,
    ParsedDocument,
    Unusable,
    normalise_space,
    paragraphs,
)

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

def read_plain_text(text: str) -> ParsedDocument:
    return ParsedDocument(None, [Block("", p) for p in paragraphs(text.splitlines())])


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
    outline = Outline()
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

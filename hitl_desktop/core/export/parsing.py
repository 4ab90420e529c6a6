"""The one Markdown parser every export format shares, configured for untrusted model output.

CommonMark plus GitHub tables and strikethrough. Raw HTML is off, so `<script>` stays visible
text. Links and images keep only web and mail addresses; anything else (javascript:, data:,
vbscript:, file:) is not turned into a link and stays as plain text.

Blocks nested deeper than the parser's limit (ten levels of lists, twenty of quotes) are
flattened into paragraphs at the deepest level: markdown-it itself would silently drop them,
and everything after them in the document.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.rules_block import StateBlock
from markdown_it.token import Token


SAFE_LINK_SCHEMES = frozenset({"http", "https", "mailto"})


def is_safe_link(url: str) -> bool:
    """True for http(s)/mailto addresses and in-document anchors; false for everything else."""
    url = url.strip()
    if url.startswith("#"):
        return True
    # Browsers ignore control characters and whitespace inside a scheme ("java\tscript:").
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    return urlsplit(cleaned).scheme.lower() in SAFE_LINK_SCHEMES


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.validateLink = is_safe_link
    _flatten_beyond_max_nesting(md)
    return md


# List markers and quote marks that open a line nested too deep to be parsed as blocks.
_BLOCK_MARKERS = re.compile(r"^(?:(?:[-+*]|\d{1,9}[.)])(?:[ \t]+|$)|>[ \t]?)+")


def _flatten_beyond_max_nesting(md: MarkdownIt) -> None:
    """Make `md` keep the text of blocks nested beyond `maxNesting` as flat paragraphs.

    The block parser recurses into lists and quotes through `md.block.tokenize`; at the limit it
    skips to the end of the range it was given, which for a list item is the end of the
    document. Here a call that starts at the limit takes the lines belonging to it instead (those
    indented at least as far as its container, blank lines between them), strips their list and
    quote markers, and adds them as paragraphs: every word is kept, one level up at most.
    """
    block = md.block
    tokenize = block.tokenize

    def tokenize_or_flatten(state: StateBlock, start_line: int, end_line: int) -> None:
        if state.level >= md.options.maxNesting:
            _flat_paragraphs(state, start_line, end_line)
        else:
            tokenize(state, start_line, end_line)

    block.tokenize = tokenize_or_flatten  # type: ignore[method-assign]
    # A tight list hides its items' paragraphs (no <p>), which would run the flattened lines
    # into the item's own text ("deep9deep10"): they stay visible paragraphs.
    md.core.ruler.after("block", "show_flattened", _show_flattened)


def _show_flattened(state) -> None:  # type: ignore[no-untyped-def]
    for token in state.tokens:
        if token.meta.get("flattened"):
            token.hidden = False


def _flat_paragraphs(state: StateBlock, start_line: int, end_line: int) -> None:
    line = start_line
    paragraph: list[str] = []
    first = start_line

    def close() -> None:
        if not paragraph:
            return
        opening = state.push("paragraph_open", "p", 1)
        opening.map = [first, line]
        inline = state.push("inline", "", 0)
        inline.content = "\n".join(paragraph)
        inline.map = [first, line]
        inline.children = []
        closing = state.push("paragraph_close", "p", -1)
        opening.meta["flattened"] = closing.meta["flattened"] = True
        paragraph.clear()

    while line < end_line:
        if state.isEmpty(line):
            close()
            line += 1
            continue
        if state.sCount[line] < state.blkIndent:
            break  # the container ends here, as the block parser would find
        text = state.src[state.bMarks[line] + state.tShift[line]:state.eMarks[line]]
        bare = _BLOCK_MARKERS.sub("", text).strip()
        if bare != text.strip():  # a new item or quote: a new paragraph
            close()
        if not paragraph:
            first = line
        if bare:
            paragraph.append(bare)
        line += 1
    close()
    state.line = line


# Texts parsed so far within `shared_parses()`: saving every format parses the report once, not
# once per format (a 300-page report takes about 0.3 s to parse). A context variable, so only the
# save that opened it (and the threads it hands its context to) sees it.
_SHARED: ContextVar[dict[str, list[Token]] | None] = ContextVar("shared_parses", default=None)


@contextmanager
def shared_parses() -> Iterator[None]:
    """Within this block, `parse` of the same text returns the same tokens, parsed once. Every
    renderer reads tokens and never changes them, so they can share them."""
    reset = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(reset)  # the tokens go with the block: a long report's are tens of MB


def parse(markdown: str) -> list[Token]:
    """The tokens of `markdown`. Treat them as read-only: within `shared_parses()` other formats
    get the same list."""
    shared = _SHARED.get()
    if shared is None:
        return _parser().parse(markdown)
    tokens = shared.get(markdown)
    if tokens is None:
        tokens = shared[markdown] = _parser().parse(markdown)
    return tokens


def share_joined(markdown: str, parts: list[str]) -> None:
    """Within `shared_parses()`, let `markdown` (the `parts` joined, as `sections.split_at_headings`
    cuts it) have its parts' tokens joined, the parts parsed already or now: the tokens it parses
    into but for `map`, the source lines, counted from each part's start (no renderer reads them)."""
    shared = _SHARED.get()
    if shared is not None and markdown not in shared:
        shared[markdown] = [token for part in parts for token in parse(part)]


def parser() -> MarkdownIt:
    return _parser()


def is_rtl(text: str) -> bool:
    """Whether the first strongly directional character is right-to-left (Arabic, Hebrew…)."""
    for ch in text:
        kind = unicodedata.bidirectional(ch)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


@dataclass(frozen=True)
class TableCell:
    inline: Token          # the cell's inline token (its children are the formatted runs)
    header: bool
    align: str | None      # "left", "center", "right" or None


@dataclass(frozen=True)
class Table:
    rows: list[list[TableCell]]
    header_rows: int
    end: int               # index of the token after table_close

    @property
    def columns(self) -> int:
        return max((len(row) for row in self.rows), default=0)


_TEXT_ALIGN = re.compile(r"text-align:\s*(left|center|right)")


def read_table(tokens: list[Token], index: int) -> Table:
    """The table starting at tokens[index] (table_open), as rows of cells."""
    rows: list[list[TableCell]] = []
    header_rows = 0
    while tokens[index].type != "table_close":
        token = tokens[index]
        if token.type == "tr_open":
            rows.append([])
        elif token.type in ("th_open", "td_open"):
            match = _TEXT_ALIGN.search(str(token.attrGet("style") or ""))
            rows[-1].append(TableCell(tokens[index + 1], token.type == "th_open", match and match.group(1)))
        elif token.type == "thead_close":
            header_rows = len(rows)
        index += 1
    return Table(rows, header_rows, index + 1)

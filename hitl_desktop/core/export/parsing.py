"""The one Markdown parser every export format shares, configured for untrusted model output.

CommonMark plus GitHub tables and strikethrough. Raw HTML is off, so `<script>` stays visible
text. Links and images keep only web and mail addresses; anything else (javascript:, data:,
vbscript:, file:) is not turned into a link and stays as plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.token import Token

from hitl_desktop.core.models import Report

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
    return md


def parse(markdown: str) -> list[Token]:
    return _parser().parse(markdown)


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


def report_title(report: Report) -> str:
    for line in report.markdown.splitlines():
        if line.startswith("# "):
            return line[2:].strip() or report.topic
    return report.topic


def provenance_items(report: Report) -> list[tuple[str, str]]:
    """Label/value pairs naming where the report came from, for headers and document metadata."""
    from hitl_desktop import __version__

    items = [("Topic", report.topic),
             ("Created", report.created_at.astimezone().strftime("%Y-%m-%d %H:%M"))]
    if report.model:
        items.append(("Model", report.model))
    rounds = f"{report.rounds} research round{'s' if report.rounds != 1 else ''}"
    items.append(("Research", rounds))
    items.append(("Generator", f"HITL Desktop {__version__}"))
    return items


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

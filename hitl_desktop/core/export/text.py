"""Plain-text export: the report readable in any editor or e-mail, Markdown markup removed.

Headings are underlined, lists keep their bullets and numbers, tables become aligned columns,
links show their address in brackets.
"""

from __future__ import annotations

import unicodedata

from markdown_it.token import Token

from hitl_desktop.core.export.appendix import appendix_markdown
from hitl_desktop.core.export.parsing import parse, read_table
from hitl_desktop.core.export.report_facts import provenance_items
from hitl_desktop.core.models import Report


def render_text(report: Report, *, provenance: bool = True) -> str:
    """The report as plain text: a header saying where it came from and, when the report carries
    its provenance, an appendix saying how it was made; with `provenance` off, the body alone."""
    body = _TextWriter().write(parse(report.markdown)).rstrip()
    if not provenance:
        return f"{body}\n"
    header = "\n".join(f"{label}: {value}" for label, value in provenance_items(report))
    if report.provenance is not None:
        appendix = _TextWriter().write(parse(appendix_markdown(report.provenance))).rstrip()
        body = f"{body}\n\n\n{appendix}"
    return f"{header}\n\n{body}\n"



def inline_plain(token: Token) -> str:
    parts: list[str] = []
    href = ""
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type == "softbreak":
            parts.append(" ")
        elif child.type == "hardbreak":
            parts.append("\n")
        elif child.type == "link_open":
            href = str(child.attrGet("href") or "")
        elif child.type == "link_close" and href:
            parts.append(f" <{href}>")
            href = ""
        elif child.type == "image":
            parts.append(f"[Image: {child.content or 'image'}] <{child.attrGet('src')}>")
    return "".join(parts)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


class _TextWriter:
    def __init__(self) -> None:
        self.out: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [next number] or [] for bullets
        self.quote = 0
        self.item_start = False

    def write(self, tokens: list[Token]) -> str:
        index = 0
        while index < len(tokens):
            index = self._block(tokens, index)
        return "".join(self.out)

    def _emit(self, text: str) -> None:
        indent = "   " * max(len(self.lists) - 1, 0)
        if self.lists and self.item_start:
            numbers = self.lists[-1]
            marker = f"{numbers[0]}. " if numbers else "• "
            if numbers:
                numbers[0] += 1
            first, *rest = text.split("\n")
            lines = [indent + marker + first] + [indent + " " * len(marker) + line for line in rest]
            self.item_start = False
        elif self.lists:
            lines = [indent + "   " + line for line in text.split("\n")]
        else:
            lines = text.split("\n")
        prefix = "> " * self.quote
        self.out.append("\n".join(prefix + line for line in lines) + "\n")
        if not self.lists:
            self.out.append("\n")

    def _block(self, tokens: list[Token], index: int) -> int:
        token = tokens[index]
        kind = token.type
        if kind == "heading_open":
            text = inline_plain(tokens[index + 1])
            rule = {"h1": "=", "h2": "-"}.get(token.tag)
            self._emit(f"{text}\n{rule * max(_width(text), 3)}" if rule else text.upper())
            return index + 3
        if kind == "paragraph_open":
            self._emit(inline_plain(tokens[index + 1]))
            return index + 3
        if kind == "bullet_list_open":
            self.lists.append([])
        elif kind == "ordered_list_open":
            self.lists.append([int(token.attrGet("start") or 1)])
        elif kind in ("bullet_list_close", "ordered_list_close"):
            self.lists.pop()
            if not self.lists:
                self.out.append("\n")
        elif kind == "list_item_open":
            self.item_start = True
        elif kind == "blockquote_open":
            self.quote += 1
        elif kind == "blockquote_close":
            self.quote -= 1
        elif kind in ("fence", "code_block"):
            self._emit("\n".join("    " + line for line in token.content.rstrip("\n").split("\n")))
        elif kind == "hr":
            self._emit("* * *")
        elif kind == "table_open":
            return self._table(tokens, index)
        return index + 1

    def _table(self, tokens: list[Token], index: int) -> int:
        table = read_table(tokens, index)
        rows = [[inline_plain(cell.inline) for cell in row] for row in table.rows]
        header_rows, columns = table.header_rows, table.columns
        widths = [max((_width(row[c]) for row in rows if c < len(row)), default=0) for c in range(columns)]
        lines = []
        for number, row in enumerate(rows):
            cells = [cell + " " * (widths[c] - _width(cell)) for c, cell in enumerate(row)]
            lines.append(" | ".join(cells).rstrip())
            if number + 1 == header_rows:
                lines.append("-+-".join("-" * w for w in widths))
        self._emit("\n".join(lines))
        return table.end

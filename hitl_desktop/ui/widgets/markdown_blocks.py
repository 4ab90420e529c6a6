"""Markdown as top-level blocks, for views that render a long report piece by piece.

Qt renders Markdown in one C++ call that holds the GUI thread (and Python's GIL) until it is done,
and lays a table out as one unit. So a view renders a long report in slices, a few milliseconds
each, and shows a bounded amount of it:

- `cuts()` finds where the text may be cut so that the pieces, rendered one after another, give
  the same blocks as the whole: before a line that starts a new top-level block after a blank
  line (not indented, not inside a code fence, not a list item or quote that may continue the
  one before it).
- `for_view()` is the text a view shows: each table's first rows (with a line saying how many
  more there are), and at most so many characters. Saved files keep everything.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_RULE = re.compile(r" {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")
_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_REFERENCE_DEFINITION = re.compile(r" {0,3}\[(?:[^\]\\]|\\.)+\]:[ \t]*\S")

# What a view shows of a report (saved files keep all of it). Qt lays a table out as one unit,
# about 0.04 ms a cell on a 2-core machine (and imports one in time quadratic in its rows), so a
# view shows the first rows of a table up to about 300 cells: 50 rows of 6 columns, 100 of 3.
VIEW_TABLE_CELLS = 300
VIEW_MIN_TABLE_ROWS = 25
VIEW_MAX_CHARS = 600_000
# Qt renders a list nested 10,000 deep in one call of 60 ms and more; a view shows 32 levels.
VIEW_MAX_NESTING = 32


def view_rows(columns: int) -> int:
    """How many rows of a table with `columns` columns a view shows."""
    return max(VIEW_MIN_TABLE_ROWS, VIEW_TABLE_CELLS // max(columns, 1))


def fence_after(line: str, fence: str | None) -> str | None:
    """The open fence marker after `line`, given the one open before it (None: outside a fence).

    A fence is closed only by the same character at least as many times, with nothing but spaces
    after it, so a ``` line inside a ~~~ block is code, not the block's end."""
    match = _FENCE.match(line)
    if match is None:
        return fence
    marker = match.group(1)
    if fence is None:
        return marker
    closes = marker[0] == fence[0] and len(marker) >= len(fence) and not line[match.end():].strip()
    return None if closes else fence


@dataclass(frozen=True)
class Cut:
    position: int  # a line start: the first line of a top-level block that follows a blank line
    safe: bool     # the text before and after it render, separately, as the whole does


class BlockScanner:
    """Finds the block starts (see Cut) of a text that may still grow at its end, as a stream
    does: each call scans the complete lines not scanned yet; an unfinished last line decides
    nothing until it is complete."""

    def __init__(self) -> None:
        self.position = 0  # where the next line to scan starts
        self._fence: str | None = None
        self._after_blank = True
        self._list_open = False   # a list that a list item after a blank line would continue
        self._quote_open = False
        # What the last block was: Qt renders a table right after code or a quote, and the
        # blocks around a horizontal rule, differently on their own (an empty block more or less).
        self._last_kind = ""

    def scan(self, text: str, end: int | None = None) -> list[Cut]:
        """The cuts in the complete lines not scanned yet (that start before `end`, if given)."""
        found = []
        position = self.position
        stop = len(text) if end is None else end
        while position < stop:
            newline = text.find("\n", position)
            if newline == -1:
                break
            line = text[position:newline]
            if self._fence is not None:
                self._fence = fence_after(line, self._fence)
                self._after_blank = False
            elif not line.strip():
                self._after_blank = True
            else:
                at_margin = line[0] not in " \t"
                marker = at_margin and _LIST_MARKER.match(line) is not None
                quote = at_margin and line.startswith(">")
                rule = _RULE.match(line) is not None
                if self._after_blank and at_margin:
                    if position > 0:
                        quirk = (("|" in line and self._last_kind in ("code", "quote"))
                                 or rule or self._last_kind == "rule")
                        found.append(Cut(position, not (marker and self._list_open) and not quirk
                                         and not (quote and self._quote_open)))
                    self._list_open, self._quote_open = marker, quote
                else:  # inside a block: a list or a quote may start without a blank line before it
                    self._list_open = self._list_open or marker
                    self._quote_open = self._quote_open or quote
                self._fence = fence_after(line, None)
                if self._after_blank:
                    self._last_kind = ("code" if self._fence is not None or not at_margin else
                                       "quote" if quote else "rule" if rule else "other")
                self._after_blank = False
            position = newline + 1
        self.position = position
        return found


def cuts(text: str) -> list[Cut]:
    """The block starts of `text` (complete lines only)."""
    return BlockScanner().scan(text)


def slices(markdown: str, size: int = 6_000) -> Iterator[str]:
    """`markdown` in consecutive pieces of about `size` characters, cut only where it is clean,
    each found when it is asked for (scanning a megabyte at once would be a step of its own).
    Reference-style link definitions apply to the whole text, so each piece carries them."""
    definitions = reference_definitions(markdown) if has_reference_definitions(markdown) else ""
    scanner = BlockScanner()
    clean: list[int] = []  # clean cuts found after `begin`
    begin = limit = 0
    while begin < len(markdown):
        end = next((position for position in clean if position - begin >= size), None)
        while end is None:
            limit = max(limit, begin) + size
            scanned = scanner.position
            clean += [cut.position for cut in scanner.scan(markdown, limit) if cut.safe]
            end = next((position for position in clean if position - begin >= size), None)
            if end is None and scanner.position == scanned and limit >= len(markdown):
                end = len(markdown)  # no cut left: the rest is the last piece
        clean = [position for position in clean if position > end]
        piece = markdown[begin:end]
        yield f"{piece.rstrip()}\n\n{definitions}\n" if definitions else piece
        begin = end


_ANY_REFERENCE_DEFINITION = re.compile(r"\n {0,3}\[(?:[^\]\\\n]|\\.)+\]:[ \t]*\S")


def has_reference_definitions(markdown: str) -> bool:
    """Whether `markdown` may define reference-style links (a quick scan; code is not excluded)."""
    return _ANY_REFERENCE_DEFINITION.search("\n" + markdown) is not None


def reference_definitions(markdown: str) -> str:
    """The lines of `markdown` that define reference-style links ("[1]: https://…"), outside code."""
    found, fence = [], None
    for line in markdown.split("\n"):
        if fence is None and _REFERENCE_DEFINITION.match(line):
            found.append(line.strip())
        fence = fence_after(line, fence)
    return "\n".join(found)


def cap_tables(markdown: str, max_rows: int | None = None, kept: str = "") -> str:
    """`markdown` with each table cut to its first `max_rows` rows (default: `view_rows` of its
    columns), and a line after it saying how many more there are, then `kept` (where they are).
    Scans with regular expressions that skip a table's body: 100,000 rows take milliseconds."""
    if markdown.count("\n") <= (max_rows or VIEW_MIN_TABLE_ROWS) + 2:
        return markdown
    out: list[str] = []
    done = 0  # markdown[:done] is in `out`
    for columns, body_start, end in _tables(markdown):
        limit = max_rows or view_rows(columns)
        rows = markdown.count("\n", body_start, end) + (end > body_start and markdown[end - 1] != "\n")
        if rows <= limit:
            continue
        keep = body_start
        for _ in range(limit):
            keep = markdown.index("\n", keep) + 1
        out.append(markdown[done:keep])
        out.append(f"\n{more_rows_note(rows - limit, kept)}\n")
        if end < len(markdown) and markdown[end:end + 1].strip():
            out.append("\n")  # a heading or fence right after the table: a blank line before it
        done = end
    out.append(markdown[done:])
    return "".join(out)


# Each starts with a line break, so the regular expression engine skips to line starts quickly
# (a pattern anchored with ^ in MULTILINE mode is tried at every character: 4 ms a megabyte).
_FENCE_OR_DELIMITER = re.compile(
    r"\n( {0,3}(?:`{3,}|~{3,})[^\n]*)"  # a fence line
    r"|\n( {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*)(?=\n|\Z)")  # a delimiter row
# Where a table's body ends: before a blank line, or a line that starts another block.
_TABLE_END = re.compile(r"\n(?=[ \t]*(?:\n|\Z)| {0,3}(?:#|>|`{3,}|~{3,}))")


def _tables(markdown: str) -> Iterator[tuple[int, int, int]]:
    """(columns, first body line start, end) of each table outside code fences, in order."""
    text = "\n" + markdown  # so the first line is found like any other; positions shift by one
    fence: str | None = None
    position = 0
    while True:
        match = _FENCE_OR_DELIMITER.search(text, position)
        if match is None:
            return
        position = match.end()
        if match.group(1) is not None:
            fence = fence_after(match.group(1), fence)
            continue
        delimiter = match.group(2)
        if fence is not None or "|" not in delimiter or match.start() == 0:
            continue
        header_start = text.rfind("\n", 0, match.start()) + 1
        if "|" not in text[header_start:match.start()]:
            continue
        body_start = min(match.end() + 1, len(text))
        ending = _TABLE_END.search(text, match.end())
        end = ending.start() + 1 if ending else len(text)
        yield delimiter.strip().strip("|").count("|") + 1, body_start - 1, end - 1
        position = max(position, end - 1)  # the body holds no fence or table to look for


def more_rows_note(hidden: int, kept: str = "") -> str:
    return f"*… {hidden:,} more {'row' if hidden == 1 else 'rows'}, not shown here{kept}.*"


_MORE_ROWS_NOTE = re.compile(r"^\*… [\d,]+ more rows?, not shown here[^\n]*\.\*$", re.MULTILINE)


def split_at_first_note(markdown: str) -> tuple[str, str]:
    """`markdown` (as `cap_tables` returns it) cut before its first "more rows" line: the text up
    to the end of the first capped table, which more rows of that table do not change, and the
    rest. ("", markdown) if no table was capped."""
    match = _MORE_ROWS_NOTE.search(markdown)
    return (markdown[:match.start()], markdown[match.start():]) if match else ("", markdown)


def renumbered_note(old: str, new: str) -> tuple[str, str] | None:
    """When `new` differs from `old` (each a rest as `split_at_first_note` returns it) only in the
    count of the "more rows" note it starts with: that note's text as a view shows it (without
    the emphasis markers), before and after. A view can then change the count in place."""
    old_note, _, old_after = old.partition("\n")
    new_note, _, new_after = new.partition("\n")
    if old_after != new_after or old_note == new_note:
        return None
    if not (_MORE_ROWS_NOTE.fullmatch(old_note) and _MORE_ROWS_NOTE.fullmatch(new_note)):
        return None
    return old_note[1:-1], new_note[1:-1]


def more_text_note(hidden: int, kept: str = "") -> str:
    return f"*… {hidden:,} more characters, not shown here{kept}.*"


def cap_length(markdown: str, max_chars: int = VIEW_MAX_CHARS, kept: str = "") -> str:
    """At most about `max_chars` of `markdown`, cut at a block start, and a line saying how much more
    there is."""
    if len(markdown) <= max_chars:
        return markdown
    line_end = markdown.find("\n", max_chars)
    within = [cut.position for cut in cuts(markdown[:line_end + 1 if line_end >= 0 else len(markdown)])
              if cut.position <= max_chars]
    end = within[-1] if within else 0
    if end == 0:  # no block start early enough: cut at a line end (closing an open code fence)
        end = markdown.rfind("\n", 0, max_chars) + 1 or max_chars
        fence = None
        for line in markdown[:end].split("\n"):
            fence = fence_after(line, fence)
        closing = f"\n{fence}\n" if fence else ""
        return f"{markdown[:end]}{closing}\n{more_text_note(len(markdown) - end, kept)}\n"
    return f"{markdown[:end].rstrip()}\n\n{more_text_note(len(markdown) - end, kept)}\n"


_MARKER = r"[ \t]*(?:[-+*]|\d{1,9}[.)])[ \t]+"
_DEEP_MARKERS = re.compile(rf"\n((?:{_MARKER}){{{VIEW_MAX_NESTING}}})(?:{_MARKER})+")
_DEEP_INDENT = re.compile(rf"\n([ \t]{{{VIEW_MAX_NESTING * 4}}})[ \t]+")


def cap_nesting(markdown: str) -> str:
    """`markdown` with lists nested at most `VIEW_MAX_NESTING` deep: deeper list markers at a line's
    start are dropped, deeper indentation is cut to that depth's (the text itself is kept)."""
    text = "\n" + markdown
    for deep in (_DEEP_MARKERS, _DEEP_INDENT):
        if deep.search(text):
            text = deep.sub(r"\n\1", text)
    return text[1:]


def shown_piece(markdown: str, kept: str = "") -> str:
    """What a view shows of a piece of a report: each table and nesting capped. Tables first: a
    huge table is then a few kilobytes to look for deep nesting in (the two scans of 10 MB were
    two 35 ms steps of a view's rendering). Nothing either changes makes or breaks the other's
    blocks: tables are found at the margin, deep nesting far from it."""
    return cap_nesting(cap_tables(markdown, kept=kept))


def for_view(markdown: str, kept: str = "") -> str:
    """What a view shows of `markdown`: nesting and each table capped, then the whole in length;
    each note of what is left out ends with `kept`."""
    return cap_length(shown_piece(markdown, kept), kept=kept)

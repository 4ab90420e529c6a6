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
_LIST_MARKER = re.compile(r"(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_REFERENCE_DEFINITION = re.compile(r" {0,3}\[(?:[^\]\\]|\\.)+\]:[ \t]*\S")

# What a view shows of a report (saved files keep all of it). A table is laid out as one unit,
# about 0.25 ms a row on a 2-core machine, so 100 rows stay inside a few frames.
VIEW_TABLE_ROWS = 100
VIEW_MAX_CHARS = 600_000


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

    def scan(self, text: str) -> list[Cut]:
        found = []
        position = self.position
        while True:
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
                if self._after_blank and at_margin:
                    if position > 0:
                        found.append(Cut(position, not (marker and self._list_open)
                                         and not (quote and self._quote_open)))
                    self._list_open, self._quote_open = marker, quote
                else:  # inside a block: a list or a quote may start without a blank line before it
                    self._list_open = self._list_open or marker
                    self._quote_open = self._quote_open or quote
                self._fence = fence_after(line, None)
                self._after_blank = False
            position = newline + 1
        self.position = position
        return found


def cuts(text: str) -> list[Cut]:
    """The block starts of `text` (complete lines only)."""
    return BlockScanner().scan(text)


def slices(markdown: str, size: int = 6_000) -> list[str]:
    """`markdown` in consecutive pieces of about `size` characters, cut only where it is safe.
    Reference-style link definitions apply to the whole text, so each piece carries them."""
    pieces, begin = [], 0
    for cut in cuts(markdown):
        if cut.safe and cut.position - begin >= size:
            pieces.append(markdown[begin:cut.position])
            begin = cut.position
    pieces.append(markdown[begin:])
    definitions = reference_definitions(markdown)
    if definitions and len(pieces) > 1:
        pieces = [f"{piece.rstrip()}\n\n{definitions}\n" for piece in pieces]
    return pieces


def reference_definitions(markdown: str) -> str:
    """The lines of `markdown` that define reference-style links ("[1]: https://…"), outside code."""
    found, fence = [], None
    for line in markdown.split("\n"):
        if fence is None and _REFERENCE_DEFINITION.match(line):
            found.append(line.strip())
        fence = fence_after(line, fence)
    return "\n".join(found)


# Said after what a view leaves out of a report (a review's notes say only that it is left out).
SAVED_FILE_KEEPS_ALL = ": all kept in the saved file"


def cap_tables(markdown: str, max_rows: int = VIEW_TABLE_ROWS, kept: str = "") -> str:
    """`markdown` with each table cut to its first `max_rows` rows, and a line after it saying
    how many more there are, then `kept` (where they are). Scans with regular expressions, not
    line by line in Python: a table of 100,000 rows takes milliseconds."""
    if markdown.count("\n") <= max_rows + 2:
        return markdown
    out: list[str] = []
    done = 0  # markdown[:done] is in `out`
    for header_start, body_start in _tables(markdown):
        if body_start < done:
            continue
        end = _table_end(markdown, body_start)
        rows = markdown.count("\n", body_start, end) + (end > body_start and markdown[end - 1] != "\n")
        if rows <= max_rows:
            continue
        keep = body_start
        for _ in range(max_rows):
            keep = markdown.index("\n", keep) + 1
        out.append(markdown[done:keep])
        out.append(f"\n{more_rows_note(rows - max_rows, kept)}\n")
        if end < len(markdown) and markdown[end:end + 1].strip():
            out.append("\n")  # a heading or fence right after the table: a blank line before it
        done = end
    out.append(markdown[done:])
    return "".join(out)


_FENCE_LINE = re.compile(r"^ {0,3}(?:`{3,}|~{3,}).*$", re.MULTILINE)
_DELIMITER_LINE = re.compile(r"^ {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$", re.MULTILINE)
# Where a table's body ends: at a blank line, or a line that starts another block.
_TABLE_END = re.compile(r"^(?:[ \t]*$| {0,3}(?:#|>|`{3,}|~{3,}))", re.MULTILINE)


def _tables(markdown: str) -> Iterator[tuple[int, int]]:
    """(header line start, first body line start) of each table outside code fences."""
    events = sorted([(m.start(), True, m) for m in _FENCE_LINE.finditer(markdown)]
                    + [(m.start(), False, m) for m in _DELIMITER_LINE.finditer(markdown)
                       if "|" in m.group(0)], key=lambda event: event[0])
    fence: str | None = None
    for position, is_fence, match in events:
        if is_fence:
            fence = fence_after(match.group(0), fence)
            continue
        if fence is not None or position == 0:
            continue
        header_start = markdown.rfind("\n", 0, position - 1) + 1
        if "|" not in markdown[header_start:position]:
            continue
        yield header_start, min(match.end() + 1, len(markdown))


def _table_end(markdown: str, body_start: int) -> int:
    """Where the table whose body starts at `body_start` ends (a line start, or the text's end)."""
    match = _TABLE_END.search(markdown, body_start)
    return match.start() if match else len(markdown)


def more_rows_note(hidden: int, kept: str = "") -> str:
    return f"*… {hidden:,} more {'row' if hidden == 1 else 'rows'}, not shown here{kept}.*"


_MORE_ROWS_NOTE = re.compile(r"^\*… [\d,]+ more rows?, not shown here[^\n]*\.\*$", re.MULTILINE)


def split_at_first_note(markdown: str) -> tuple[str, str]:
    """`markdown` (as `cap_tables` returns it) cut before its first "more rows" line: the text up
    to the end of the first capped table, which more rows of that table do not change, and the
    rest. ("", markdown) if no table was capped."""
    match = _MORE_ROWS_NOTE.search(markdown)
    return (markdown[:match.start()], markdown[match.start():]) if match else ("", markdown)


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


def for_view(markdown: str, kept: str = "") -> str:
    """What a view shows of `markdown`: each table capped in rows, then the whole in length;
    each note of what is left out ends with `kept`."""
    return cap_length(cap_tables(markdown, kept=kept), kept=kept)

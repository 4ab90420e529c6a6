"""A long report's Markdown cut into parts that parse on their own exactly as they do in the whole.

The PDF of a long report is laid out by Qt in a second process while this one makes its HTML:
part by part, so Qt can import and lay out the first parts while the next are parsed. A part
ends just before a top-level ATX heading ("## Costs" at the start of a line): such a line always
ends whatever block came before it (paragraph, list, quote, table), so the parser's state does
not carry over it. Not inside a fenced code block, where the line is code. A report with link
reference definitions ("[1]: https://…") is not cut at all, since a part could use a label that
another defines.
"""

from __future__ import annotations

import re

_HEADING = re.compile(r"#{1,6}(?:[ \t]|$)")
# A fence opens and closes with at most three spaces of indent; deeper, it is not a fence at top
# level (and a heading line ends any list or quote holding one, so those need no tracking).
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})(.*)")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:", re.MULTILINE)


def split_at_headings(markdown: str, *, at_least: int) -> list[str]:
    """`markdown` in parts of at least `at_least` characters (the last may be shorter), each
    starting at a top-level heading but the first; joined they are `markdown` again."""
    if _REFERENCE_DEFINITION.search(markdown):
        return [markdown]
    parts: list[str] = []
    start = offset = 0
    fence = ""  # the open fence's marker, e.g. "```"
    for line in markdown.split("\n"):  # the parser's only line break (not str.splitlines's)
        if fence:
            closing = _FENCE.match(line)
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence) \
                    and not closing.group(2).strip():
                fence = ""
        elif _HEADING.match(line) and offset > start and offset - start >= at_least:
            parts.append(markdown[start:offset])
            start = offset
        else:
            opening = _FENCE.match(line)
            # A backtick fence's info string cannot hold a backtick (then it is inline code).
            if opening and not (opening.group(1)[0] == "`" and "`" in opening.group(2)):
                fence = opening.group(1)
        offset += len(line) + 1
    parts.append(markdown[start:])
    return parts

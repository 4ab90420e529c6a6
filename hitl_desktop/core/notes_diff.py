"""What changed between two versions of research notes, as plain data. Qt-free.

Two uses: the review dialog shows a reviewer what a round changed since the notes they sent
back, and a report's provenance says how much a reviewer edited the notes they approved.

The passages compare sentence by sentence (a sentence ends at . ! ? or a line end), so a
paragraph that gained one sentence shows that sentence added, not the whole paragraph replaced.
The counts are of lines, the unit a person edits in: non-blank lines added and removed.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from enum import StrEnum

# A sentence: from a non-space character to . ! ? … followed by a space, to a CJK full stop, or
# to the end of its line, with the whitespace after it. Runs of whitespace between sentences
# (leading blank lines) are pieces of their own, so the pieces always join back into the text.
_SENTENCE = re.compile(r"\S.*?(?:[.!?…][\"'”’)\]]*(?=\s)|[。！？]|\n|$)\s*|\s+", re.DOTALL)


class Change(StrEnum):
    SAME = "same"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Passage:
    change: Change
    text: str


@dataclass(frozen=True)
class NotesDiff:
    """The newer notes as passages, each the same, added or removed (removed passages appear
    where they used to be), and how many non-blank lines were added and removed."""

    passages: tuple[Passage, ...]
    lines_added: int
    lines_removed: int

    @property
    def changed(self) -> bool:
        return any(p.change is not Change.SAME for p in self.passages)

    @property
    def summary(self) -> str:
        """One line: "12 lines added, 3 removed", "1 line removed", or "No changes"."""
        return summarize(self.lines_added, self.lines_removed)

    def text(self, *changes: Change) -> str:
        """The passages of the given kinds joined (all of them when none are given)."""
        wanted = set(changes) or set(Change)
        return "".join(p.text for p in self.passages if p.change in wanted)


def summarize(added: int, removed: int) -> str:
    """"12 lines added, 3 removed", its shorter forms, or "No changes"."""
    if added and removed:
        return f"{_lines(added)} added, {removed:,} removed"
    if added:
        return f"{_lines(added)} added"
    if removed:
        return f"{_lines(removed)} removed"
    return "No changes"


def diff_notes(previous: str, current: str) -> NotesDiff:
    """How `current` differs from `previous`, sentence by sentence, with line counts."""
    old, new = _sentences(previous), _sentences(current)
    matcher = difflib.SequenceMatcher(None, [s.strip() for s in old], [s.strip() for s in new],
                                      autojunk=False)
    passages: list[Passage] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            _append(passages, Change.SAME, new[j1:j2])
            continue
        # Removed text first, then what replaced it: read top to bottom, like a tracked change.
        _append(passages, Change.REMOVED, old[i1:i2])
        _append(passages, Change.ADDED, new[j1:j2])
    added, removed = count_changed_lines(previous, current)
    return NotesDiff(tuple(passages), added, removed)


def count_changed_lines(previous: str, current: str) -> tuple[int, int]:
    """(lines added, lines removed) going from `previous` to `current`, blank lines not counted
    and trailing spaces ignored; a changed line counts once each way."""
    old = [line.rstrip() for line in previous.splitlines() if line.strip()]
    new = [line.rstrip() for line in current.splitlines() if line.strip()]
    added = removed = 0
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal":
            removed += i2 - i1
            added += j2 - j1
    return added, removed


def _sentences(text: str) -> list[str]:
    return _SENTENCE.findall(text)


def _append(passages: list[Passage], change: Change, pieces: list[str]) -> None:
    text = "".join(pieces)
    if not text:
        return
    if passages and passages[-1].change is change:
        passages[-1] = Passage(change, passages[-1].text + text)
    else:
        passages.append(Passage(change, text))


def _lines(count: int) -> str:
    return f"{count:,} line{'s' if count != 1 else ''}"

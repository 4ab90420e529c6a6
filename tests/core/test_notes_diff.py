"""The diff between two rounds' notes, as data: passages and line counts."""

from __future__ import annotations

import pytest

from hitl_desktop.core.notes_diff import Change, Passage, count_changed_lines, diff_notes, summarize

SENT_BACK = """# Tidal power

Tidal power is costly. It is predictable [1]. Prices fell 3.5% in 2024.

- MeyGen is the largest array.
- La Rance opened in 1966.
"""

REVISED = """# Tidal power

Tidal power is costly. It is highly predictable [1]. Prices fell 3.5% in 2024. Swansea Bay was shelved [2].

- MeyGen is the largest array.
- Sihwa Lake is larger still.
"""


def test_a_changed_sentence_is_shown_removed_then_added_and_the_rest_stays() -> None:
    diff = diff_notes(SENT_BACK, REVISED)
    assert Passage(Change.REMOVED, "It is predictable [1]. ") in diff.passages
    assert Passage(Change.ADDED, "It is highly predictable [1]. ") in diff.passages
    removed_at = diff.passages.index(Passage(Change.REMOVED, "It is predictable [1]. "))
    assert diff.passages[removed_at + 1].change is Change.ADDED
    assert "Swansea Bay was shelved [2]." in diff.text(Change.ADDED)
    assert "Sihwa Lake is larger still." in diff.text(Change.ADDED)
    assert "La Rance opened in 1966." in diff.text(Change.REMOVED)
    same = diff.text(Change.SAME)
    assert "Tidal power is costly." in same and "Prices fell 3.5% in 2024." in same
    assert "MeyGen is the largest array." in same


def test_the_newer_notes_are_the_passages_that_were_not_removed() -> None:
    diff = diff_notes(SENT_BACK, REVISED)
    assert diff.text(Change.SAME, Change.ADDED) == REVISED


def test_lines_are_counted_once_each_way_and_summarised() -> None:
    diff = diff_notes(SENT_BACK, REVISED)
    # The paragraph line and one list item changed.
    assert (diff.lines_added, diff.lines_removed) == (2, 2)
    assert diff.summary == "2 lines added, 2 removed"


def test_identical_notes_have_no_changes() -> None:
    diff = diff_notes(SENT_BACK, SENT_BACK)
    assert not diff.changed and diff.summary == "No changes"
    assert [p.change for p in diff.passages] == [Change.SAME]


def test_reflowing_or_spacing_is_not_a_change_of_words() -> None:
    reflowed = SENT_BACK.replace("costly. It", "costly.\nIt").replace("\n\n", "\n\n\n")
    diff = diff_notes(SENT_BACK, reflowed)
    assert not diff.text(Change.ADDED).strip() and not diff.text(Change.REMOVED).strip()
    assert count_changed_lines(SENT_BACK, SENT_BACK.replace("\n\n", "\n\n\n  \n")) == (0, 0)
    assert diff_notes("One.\nTwo.", "One.  \n\nTwo.").summary == "No changes"


def test_from_nothing_everything_is_added() -> None:
    diff = diff_notes("", "One.\n\nTwo.\n")
    assert diff.passages == (Passage(Change.ADDED, "One.\n\nTwo.\n"),)
    assert diff.summary == "2 lines added"
    assert diff_notes("One.\n\nTwo.\n", "").summary == "2 lines removed"


def test_cjk_sentences_split_at_their_own_full_stops() -> None:
    diff = diff_notes("潮汐能很贵。它可以预测。", "潮汐能很贵。它非常可以预测。")
    assert Passage(Change.SAME, "潮汐能很贵。") in diff.passages
    assert Passage(Change.ADDED, "它非常可以预测。") in diff.passages


@pytest.mark.parametrize(("added", "removed", "expected"), [
    (12, 3, "12 lines added, 3 removed"), (1, 0, "1 line added"), (0, 1, "1 line removed"),
    (1, 1, "1 line added, 1 removed"), (1200, 0, "1,200 lines added"), (0, 0, "No changes"),
])
def test_summaries_read_as_a_sentence(added: int, removed: int, expected: str) -> None:
    assert summarize(added, removed) == expected

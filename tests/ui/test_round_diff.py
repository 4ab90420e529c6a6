"""The Changes view: what a round changed since the notes the reviewer sent back."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument

from hitl_desktop.ui.widgets.round_diff import RoundDiff

SENT_BACK = """# Tidal power

Tidal power is costly. It is predictable [1].

- MeyGen is the largest array.
- La Rance opened in 1966.
"""

REVISED = """# Tidal power

Tidal power is costly. It is highly predictable [1]. Swansea Bay was shelved [2].

- MeyGen is the largest array.
"""


def runs(document: QTextDocument) -> list[tuple[str, str]]:
    """The document's text as (kind, text) runs: "added", "removed" or "same"."""
    found: list[tuple[str, str]] = []
    block = document.begin()
    while block.isValid():
        it = block.begin()
        while not it.atEnd():
            fragment = it.fragment()
            fmt = fragment.charFormat()
            kind = ("removed" if fmt.fontStrikeOut() else
                    "added" if fmt.background().style().value != 0 else "same")
            found.append((kind, fragment.text()))
            it += 1
        block = block.next()
    return found


def test_added_and_removed_passages_are_highlighted_with_a_summary(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    diff = RoundDiff(SENT_BACK, REVISED)
    qtbot.addWidget(diff)
    assert diff.objectName() == "roundDiff"
    assert diff.summary == "1 line added, 2 removed"
    assert "1 line added, 2 removed" in diff.summaryLabel.text()
    shown = runs(diff.view.document())
    added = " ".join(text for kind, text in shown if kind == "added")
    removed = " ".join(text for kind, text in shown if kind == "removed")
    same = " ".join(text for kind, text in shown if kind == "same")
    assert "It is highly predictable [1]." in added and "Swansea Bay was shelved [2]." in added
    assert "It is predictable [1]." in removed and "La Rance opened in 1966." in removed
    assert "Tidal power is costly." in same and "MeyGen is the largest array." in same
    assert diff.view.isReadOnly()


def test_model_text_is_shown_as_written_never_as_markup(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    diff = RoundDiff("Old.", "Old. <b>bold</b> <img src='http://evil.example/x.png'> **not bold**")
    qtbot.addWidget(diff)
    text = diff.view.toPlainText()
    assert "<b>bold</b>" in text and "<img src='http://evil.example/x.png'>" in text and "**not bold**" in text


def test_identical_notes_say_nothing_changed(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    diff = RoundDiff(SENT_BACK, SENT_BACK)
    qtbot.addWidget(diff)
    assert "no changes" in diff.summaryLabel.text()
    assert all(kind == "same" for kind, _ in runs(diff.view.document()))
    assert diff.view.toPlainText() == SENT_BACK


def test_it_updates_and_opens_on_the_first_change(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    long_before = "".join(f"Line {n} stays.\n\n" for n in range(200))
    diff = RoundDiff(long_before, long_before)
    qtbot.addWidget(diff)
    diff.resize(400, 200)
    diff.set_notes(long_before, long_before + "A new closing line.\n")
    diff.show()
    qtbot.waitExposed(diff)
    assert diff.summary == "1 line added"
    assert diff.view.verticalScrollBar().value() > 0  # scrolled down to the change
    assert diff.view.textCursor().block().text() == "A new closing line."

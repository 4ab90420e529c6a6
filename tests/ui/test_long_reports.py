"""Long reports stay cheap to show: rendered in slices between frames, each table's first rows and
a bounded length in the view, everything in the report and its files. These test what the views
do (defer, cap, keep), not how long they take: that is benchmarks/bench_streaming.py's job."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QTextDocument, QTextFormat

from hitl_desktop.core import export
from hitl_desktop.core.models import Report, ReviewRequest
from hitl_desktop.ui.widgets.markdown_blocks import (
    VIEW_MAX_CHARS,
    cap_length,
    cap_tables,
    cuts,
    slices,
    split_at_first_note,
    view_rows,
)
from hitl_desktop.ui.widgets.markdown_render import render_steps, set_markdown
from hitl_desktop.ui.widgets.report_view import SAVED_FILE_KEEPS_ALL, ReportView
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog


SHOWN = view_rows(3)  # rows a view shows of the 3-column tables below


def table(rows: int, first: int = 1) -> str:
    body = "".join(f"| {n} | Site {n} | {n * 3} |\n" for n in range(first, first + rows))
    return f"| # | Site | MW |\n|---:|---|---:|\n{body}"


VARIED = (
    "# Report\n\nIntro with **bold**, `code` and a [reference link][src].\n\n"
    "- loose item one\n\n- loose item two\n\n  a second paragraph in item two\n\n"
    "1. first\n2. second\n\nA paragraph after the list.\n\n"
    "```python\nx = 1\n\ny = 2\n```\n\n```\nright after another code block\n```\n\n"
    "> a quote\n\n> that goes on\n\n    indented code\n\n    more of it\n\n"
    + table(12) + "\n### Detail\n\n3. a list that starts at three\n4. and goes on\n\n---\n\n"
    "Closing words.\n\n[src]: https://example.org/source\n"
)


def structure(document: QTextDocument) -> list[tuple[object, ...]]:
    rows = []
    block = document.begin()
    while block.isValid():
        fmt = block.blockFormat()
        items = block.textList()
        rows.append((fmt.headingLevel(), items is not None and (items.format().style(), items.itemNumber(block)),
                     fmt.hasProperty(QTextFormat.Property.BlockCodeFence) or block.charFormat().fontFixedPitch(),
                     block.text(), round(fmt.topMargin()), round(fmt.bottomMargin()), links(block)))
        block = block.next()
    return rows


def links(block) -> list[str]:  # type: ignore[no-untyped-def]
    found = []
    it = block.begin()
    while not it.atEnd():
        href = it.fragment().charFormat().anchorHref()
        if href:
            found.append(href)
        it += 1
    return found


def test_cuts_are_never_inside_a_list_a_quote_indented_code_or_a_fence() -> None:
    safe = {VARIED[cut.position:].split("\n", 1)[0] for cut in cuts(VARIED) if cut.safe}
    assert "- loose item two" not in safe          # would start a second list
    assert "> that goes on" not in safe
    assert not any(line.startswith(" ") for line in safe)  # indented: continues the block before
    assert "y = 2" not in safe and "A paragraph after the list." in safe
    plain = VARIED.replace("[src]: https://example.org/source\n", "")
    assert "".join(slices(plain * 40, size=500)) == plain * 40
    # A reference definition applies to the whole text, so every slice carries it.
    assert all(piece.rstrip().endswith("[src]: https://example.org/source") for piece in slices(VARIED * 40, 500))


def test_a_report_rendered_in_slices_is_the_document_rendered_whole(qapp) -> None:  # type: ignore[no-untyped-def]
    markdown = VARIED * 30
    assert len(list(slices(markdown))) > 3
    whole = QTextDocument()
    set_markdown(whole, markdown)
    sliced = QTextDocument()
    for _ in render_steps(sliced, markdown):
        pass
    assert sliced.toPlainText() == whole.toPlainText()
    assert structure(sliced) == structure(whole)
    assert ["https://example.org/source"] in [row[-1] for row in structure(sliced)]


BLOCKS = {"code": "```\nx\n```\n", "indented code": "    code\n", "paragraph": "para\n", "list": "- item\n",
          "numbered": "1. one\n", "heading": "# H\n", "table": "| a | b |\n|---|---|\n| 1 | 2 |\n",
          "quote": "> q\n", "rule": "---\n", "tilde code": "~~~\ny\n~~~\n", "star rule": "***\n",
          "setext": "Title\n===\n", "nested list": "- a\n  - b\n"}


def test_cutting_at_every_clean_cut_renders_any_three_blocks_as_the_whole_does(qapp, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Qt's importer has quirks at some block boundaries (a table right after code, anything
    next to a horizontal rule); cuts there are not clean."""
    import itertools

    from hitl_desktop.ui.widgets import markdown_render

    monkeypatch.setattr(markdown_render, "slices", lambda markdown: slices(markdown, size=1))
    differ = []
    for names in itertools.product(BLOCKS, repeat=3):
        markdown = "\n".join(BLOCKS[name] for name in names)
        whole, cut = QTextDocument(), QTextDocument()
        set_markdown(whole, markdown)
        for _ in render_steps(cut, markdown):
            pass
        if structure(cut) != structure(whole):
            differ.append(names)
    assert differ == []


def test_show_report_of_a_long_report_renders_it_top_down_between_frames(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    long_report = "# Long report\n\n" + "".join(f"## Part {n}\n\n{'Words of the part. ' * 40}\n\n"
                                                for n in range(600))
    view.show_report(long_report)
    assert view.is_rendering()  # show_report returned before the rendering was done
    assert view.markdown() == long_report  # the report itself is complete at once
    qtbot.waitUntil(lambda: "Part 0" in view.toPlainText(), timeout=30_000)
    assert view.is_rendering() and "Part 599" not in view.toPlainText()  # the top first
    with qtbot.waitSignal(view.rendered, timeout=30_000):
        pass
    assert not view.is_rendering() and "Part 599" in view.toPlainText()


def test_the_end_of_a_clean_stream_renders_only_its_last_blocks(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = VARIED.replace("[src]: https://example.org/source\n", "") * 40
    for start in range(0, len(markdown), 50):
        view.append_delta(markdown[start:start + 50])
        if start % 5_000 == 0:
            view.flush_now()
    view.flush_now()
    first_block = view.document().begin()
    view.show_report(markdown.strip())
    assert not view.is_rendering()
    assert view.document().begin() == first_block  # the streamed document was kept
    whole = QTextDocument()
    set_markdown(whole, markdown)
    assert structure(view.document()) == structure(whole)


def test_a_stream_with_reference_links_is_rendered_again_at_its_end(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = VARIED * 20
    view.append_delta(markdown)
    view.flush_now()
    view.show_report(markdown)
    qtbot.waitUntil(lambda: not view.is_rendering(), timeout=30_000)
    whole = QTextDocument()
    set_markdown(whole, markdown)
    assert structure(view.document()) == structure(whole)  # the links resolve, as in the whole


def test_a_huge_table_shows_its_first_rows_and_the_saved_file_keeps_them_all(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = 100_000
    markdown = "# Sites\n\nEvery site we found.\n\n" + table(rows) + "\nThe end.\n"
    view = ReportView()
    qtbot.addWidget(view)
    view.show_report(markdown)
    qtbot.waitUntil(lambda: not view.is_rendering(), timeout=30_000)
    shown = view.toPlainText()
    assert f"Site {SHOWN}" in shown and f"Site {SHOWN + 1}" not in shown
    assert f"{rows - SHOWN:,} more rows, not shown here: all kept in the saved file." in shown
    assert "The end." in shown
    assert view.markdown() == markdown
    saved = export.save_report(tmp_path / "sites.md", Report(topic="Sites", markdown=markdown, rounds=1))
    assert f"| {rows} | Site {rows} | {rows * 3} |" in saved.read_text(encoding="utf-8")


def test_a_table_streaming_in_shows_at_most_the_rows_the_finished_view_shows(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = "Intro.\n\n" + table(SHOWN * 3)
    for start in range(0, len(markdown), 400):
        view.append_delta(markdown[start:start + 400])
        view.flush_now()
    shown = view.toPlainText()
    assert f"Site {SHOWN}" in shown and f"Site {SHOWN + 1}" not in shown
    assert f"{SHOWN * 2:,} more rows" in shown


def test_rows_past_what_a_view_shows_change_only_the_count_and_the_end_keeps_the_table(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = "# Sites\n\nIntro.\n\n" + table(SHOWN * 3)
    split = markdown.index(f"\n| {SHOWN + 2} |") + 1  # one row more than the view shows
    view.append_delta(markdown[:split])
    view.flush_now()
    shown_table = view.document().rootFrame().childFrames()[0]
    first_cell = shown_table.cellAt(1, 1).firstCursorPosition().block()
    counts = []
    changed_from: list[int] = []  # where each change to the document started
    view.document().contentsChange.connect(lambda position, _removed, _added: changed_from.append(position))
    note_at = view.document().lastBlock().position()
    rest = markdown[split:]
    for start in range(0, len(rest), 300):
        view.append_delta(rest[start:start + 300])
        view.flush_now()
        counts.append(view.document().lastBlock().text().split()[1])
        whole = QTextDocument()
        set_markdown(whole, cap_tables(view.markdown(), kept=SAVED_FILE_KEEPS_ALL))
        assert structure(view.document()) == structure(whole)  # as the text so far renders whole
    assert len(set(counts)) > 3 and counts[-1] == f"{SHOWN * 2:,}"  # the count went up as rows came
    assert changed_from and min(changed_from) >= note_at  # only the note's line changed
    view.append_delta("| 999 | Site 999 | 2997 |\n")  # the last row arrives with the end of the stream
    view.show_report(markdown + "| 999 | Site 999 | 2997 |\n")
    assert not view.is_rendering()
    # The table the stream rendered is still the one shown (not rendered again: 50 ms and more).
    assert view.document().rootFrame().childFrames() == [shown_table]
    assert shown_table.cellAt(1, 1).firstCursorPosition().block() == first_cell
    whole = QTextDocument()
    set_markdown(whole, cap_tables(view.markdown(), kept=SAVED_FILE_KEEPS_ALL))
    assert structure(view.document()) == structure(whole)
    assert f"{SHOWN * 2 + 1:,} more rows, not shown here" in view.toPlainText()


def test_a_stream_that_ends_in_a_long_table_and_words_after_it_is_rendered_as_a_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = "Intro.\n\n" + table(SHOWN * 2)
    view.append_delta(markdown)
    view.flush_now()
    ending = markdown + "\nClosing words after the table.\n"
    view.append_delta(ending[len(markdown):])
    view.show_report(ending)
    whole = QTextDocument()
    set_markdown(whole, cap_tables(ending, kept=SAVED_FILE_KEEPS_ALL))
    assert structure(view.document()) == structure(whole)
    assert view.toPlainText().rstrip().endswith("Closing words after the table.")


def test_a_text_longer_than_the_view_shows_says_how_much_more_the_file_keeps() -> None:
    paragraph = "Some words in a paragraph of the report. " * 20 + "\n\n"
    markdown = paragraph * (VIEW_MAX_CHARS // len(paragraph) + 100)
    shown = cap_length(markdown, kept=SAVED_FILE_KEEPS_ALL)
    kept, note = shown.rstrip().rsplit("\n\n", 1)
    assert len(kept) <= VIEW_MAX_CHARS and markdown.startswith(kept)
    hidden = len(markdown[len(kept):].lstrip())  # from the next block on
    assert note == f"*… {hidden:,} more characters, not shown here: all kept in the saved file.*"


def test_capping_leaves_tables_in_code_alone_and_marks_where_rows_were_left_out() -> None:
    assert view_rows(6) < view_rows(3) < view_rows(2)  # a view shows about as many cells of each
    code = "```\n" + table(SHOWN + 5) + "```\n"
    assert cap_tables(code) == code
    capped = cap_tables("Before.\n\n" + table(SHOWN + 5) + "# Next\n")
    head, rest = split_at_first_note(capped)
    assert head.endswith(f"| {SHOWN} | Site {SHOWN} | {SHOWN * 3} |\n\n")
    assert rest.startswith("*… 5 more rows") and rest.endswith("\n\n# Next\n")


def test_the_review_dialog_shows_long_notes_without_rendering_them_all_at_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    notes = "".join(f"## Finding {n}\n\n{'A line of research notes. ' * 30}\n\n" for n in range(500))
    dialog = ReviewDialog(ReviewRequest(round=1, topic="tidal power", notes=notes))
    qtbot.addWidget(dialog)
    assert dialog.researchView.toPlainText() == notes  # the source to edit is there at once
    assert not dialog.researchPreview.toPlainText()  # rendered once shown, at the width it has then
    dialog.show()
    assert dialog.researchPreview.is_rendering()
    qtbot.waitUntil(lambda: not dialog.researchPreview.is_rendering(), timeout=30_000)
    assert "Finding 499" in dialog.researchPreview.toPlainText()


"""Long reports stay cheap to show: rendered in slices between frames, each table's first rows and
a bounded length in the view, everything in the report and its files. These test what the views
do (defer, cap, keep), not how long they take: that is benchmarks/bench_streaming.py's job."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QTextDocument, QTextFormat

from hitl_desktop.core import export
from hitl_desktop.core.models import Report, ReviewRequest
from hitl_desktop.ui.widgets.markdown_blocks import (
    SAVED_FILE_KEEPS_ALL,
    VIEW_MAX_CHARS,
    VIEW_TABLE_ROWS,
    cap_length,
    cap_tables,
    cuts,
    slices,
    split_at_first_note,
)
from hitl_desktop.ui.widgets.report_view import ReportView
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog
from hitl_desktop.ui.widgets.safe_markdown import render_steps, set_markdown


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
    assert len(slices(markdown)) > 3
    whole = QTextDocument()
    set_markdown(whole, markdown)
    sliced = QTextDocument()
    for _ in render_steps(sliced, markdown):
        pass
    assert sliced.toPlainText() == whole.toPlainText()
    assert structure(sliced) == structure(whole)
    assert ["https://example.org/source"] in [row[-1] for row in structure(sliced)]


def test_show_report_of_a_long_report_renders_between_frames_and_keeps_the_old_text_meanwhile(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    view.show_report("# Streamed so far\n\nThe old text.\n")
    long_report = "# Long report\n\n" + "".join(f"## Part {n}\n\n{'Words of the part. ' * 40}\n\n"
                                                for n in range(2_000))
    view.show_report(long_report)
    assert view.is_rendering()  # show_report returned before the rendering was done
    assert "The old text." in view.toPlainText()
    assert view.markdown() == long_report  # the report itself is complete at once
    with qtbot.waitSignal(view.rendered, timeout=30_000):
        pass
    assert not view.is_rendering()
    shown = view.toPlainText()
    assert shown.startswith("Long report") and "The old text." not in shown


def test_a_huge_table_shows_its_first_rows_and_the_saved_file_keeps_them_all(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    rows = 100_000
    markdown = "# Sites\n\nEvery site we found.\n\n" + table(rows) + "\nThe end.\n"
    view = ReportView()
    qtbot.addWidget(view)
    view.show_report(markdown)
    qtbot.waitUntil(lambda: not view.is_rendering(), timeout=30_000)
    shown = view.toPlainText()
    assert f"Site {VIEW_TABLE_ROWS}" in shown and f"Site {VIEW_TABLE_ROWS + 1}" not in shown
    assert f"{rows - VIEW_TABLE_ROWS:,} more rows, not shown here: all kept in the saved file." in shown
    assert "The end." in shown
    assert view.markdown() == markdown
    saved = export.save_report(tmp_path / "sites.md", Report(topic="Sites", markdown=markdown, rounds=1))
    assert f"| {rows} | Site {rows} | {rows * 3} |" in saved.read_text(encoding="utf-8")


def test_a_table_streaming_in_shows_at_most_the_rows_the_finished_view_shows(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = "Intro.\n\n" + table(VIEW_TABLE_ROWS * 3)
    for start in range(0, len(markdown), 400):
        view.append_delta(markdown[start:start + 400])
        view.flush_now()
    shown = view.toPlainText()
    assert f"Site {VIEW_TABLE_ROWS}" in shown and f"Site {VIEW_TABLE_ROWS + 1}" not in shown
    assert f"{VIEW_TABLE_ROWS * 2:,} more rows" in shown


def test_a_text_longer_than_the_view_shows_says_how_much_more_the_file_keeps() -> None:
    paragraph = "Some words in a paragraph of the report. " * 20 + "\n\n"
    markdown = paragraph * (VIEW_MAX_CHARS // len(paragraph) + 100)
    shown = cap_length(markdown, kept=SAVED_FILE_KEEPS_ALL)
    kept, note = shown.rstrip().rsplit("\n\n", 1)
    assert len(kept) <= VIEW_MAX_CHARS and markdown.startswith(kept)
    hidden = len(markdown[len(kept):].lstrip())  # from the next block on
    assert note == f"*… {hidden:,} more characters, not shown here: all kept in the saved file.*"


def test_capping_leaves_tables_in_code_alone_and_marks_where_rows_were_left_out() -> None:
    code = "```\n" + table(VIEW_TABLE_ROWS + 5) + "```\n"
    assert cap_tables(code) == code
    capped = cap_tables("Before.\n\n" + table(VIEW_TABLE_ROWS + 5) + "# Next\n")
    head, rest = split_at_first_note(capped)
    assert head.endswith(f"| {VIEW_TABLE_ROWS} | Site {VIEW_TABLE_ROWS} | {VIEW_TABLE_ROWS * 3} |\n\n")
    assert rest.startswith("*… 5 more rows") and rest.endswith("\n\n# Next\n")


def test_the_review_dialog_shows_long_notes_without_rendering_them_all_at_once(qtbot) -> None:  # type: ignore[no-untyped-def]
    notes = "".join(f"## Finding {n}\n\n{'A line of research notes. ' * 30}\n\n" for n in range(500))
    dialog = ReviewDialog(ReviewRequest(round=1, topic="tidal power", notes=notes))
    qtbot.addWidget(dialog)
    assert dialog.researchView.toPlainText() == notes  # the source to edit is there at once
    assert dialog.researchPreview.is_rendering()
    qtbot.waitUntil(lambda: not dialog.researchPreview.is_rendering(), timeout=30_000)
    assert "Finding 499" in dialog.researchPreview.toPlainText()


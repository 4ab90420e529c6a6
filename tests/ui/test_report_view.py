"""ReportView renders a stream incrementally, safely, and ends with the same document as a whole render."""

from __future__ import annotations

from PySide6.QtGui import QTextDocument

from hitl_desktop.ui.widgets.markdown_blocks import BlockScanner, cuts
from hitl_desktop.ui.widgets.report_view import ReportView
from hitl_desktop.ui.widgets.markdown_render import set_markdown

REPORT = (
    "# Title\n\nIntro paragraph with **bold**.\n\n## Section\n\n- one\n- two\n\n"
    "```python\nprint('a')\n\nprint('b')\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nClosing words.\n"
)


def rendered_text(markdown: str) -> str:
    document = QTextDocument()
    set_markdown(document, markdown)
    return document.toPlainText()


def block_starts(text: str) -> list[int]:
    return [cut.position for cut in cuts(text)]


def test_blocks_start_after_blank_lines_outside_code_fences() -> None:
    text = "para one\n\n```\ncode\n\nmore code\n"
    assert block_starts(text) == [len("para one\n\n")]  # the blank line inside the fence starts nothing
    assert block_starts(text + "```\n\nnext\n") == [len("para one\n\n"), len(text + "```\n\n")]
    assert block_starts("no blank line yet") == []


def test_streamed_document_matches_a_whole_render_at_every_step(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    for end in range(7, len(REPORT) + 1, 7):
        view.append_delta(REPORT[end - 7:end])
        view.flush_now()
        shown = view.toPlainText().split()
        assert shown == rendered_text(REPORT[:end]).split(), f"after {end} characters"
    view.append_delta(REPORT[len(REPORT) - len(REPORT) % 7:])
    view.show_report(REPORT)
    assert view.toPlainText() == rendered_text(REPORT)
    assert view.markdown() == REPORT


def test_raw_html_in_model_output_never_hides_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    hostile = "Before <script>alert(1)</script> after\n\n<img src=http://example.invalid/x.png onerror=a()>\n\nThe end."
    view.show_report(hostile)
    text = view.toPlainText()
    assert "after" in text and "The end." in text and "<script>" in text  # shown as text, not run or dropped


def test_remote_resources_are_never_loaded(qtbot) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QUrl
    from PySide6.QtGui import QTextDocument as Doc

    view = ReportView()
    qtbot.addWidget(view)
    assert view.loadResource(Doc.ResourceType.ImageResource.value, QUrl("http://example.invalid/a.png")) is None
    assert view.loadResource(Doc.ResourceType.ImageResource.value, QUrl("file:///etc/passwd")) is None


def test_a_tilde_fence_is_closed_only_by_tildes_at_least_as_long() -> None:
    text = "intro\n\n~~~~\n```\n\n~~~\n\ncode still\n"
    # ``` and a shorter ~~~ inside the ~~~~ block are code: no block starts after the fence's own.
    assert block_starts(text) == [len("intro\n\n")]
    closed = text + "~~~~\n\nafter\n"
    assert block_starts(closed) == [len("intro\n\n"), len(text + "~~~~\n\n")]
    # And the other way round: ~~~ does not close a ``` block.
    assert block_starts("```\n~~~\n\nx\n") == []
    # A closing fence may not carry an info string.
    assert block_starts("```\n```python\n\nx\n") == []


def test_a_long_open_fence_starts_no_block_and_the_scan_resumes_where_it_stopped() -> None:
    head = "para\n\n"
    text = head + "```\n" + "line\n\n" * 20_000
    scanner = BlockScanner()
    assert [cut.position for cut in scanner.scan(text)] == [len(head)]
    assert scanner.position == len(text)  # every complete line scanned once
    # The stream goes on: only the new lines are scanned, with the fence still open at the start.
    grown = text + "```\n\nafter\n"
    assert [cut.position for cut in scanner.scan(grown)] == [len(grown) - len("after\n")]
    # An unfinished last line decides nothing until it is complete.
    partial = BlockScanner()
    assert partial.scan("x\n\ny") == [] and partial.position == len("x\n\n")


def test_streaming_a_long_open_fence_matches_a_whole_render(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = ReportView()
    qtbot.addWidget(view)
    markdown = "# Code\n\n~~~\n" + "".join(f"line {i}\n```\n\n" for i in range(300)) + "~~~\n\nThe end.\n"
    for start in range(0, len(markdown), 97):
        view.append_delta(markdown[start:start + 97])
        view.flush_now()
    assert view.toPlainText().split() == rendered_text(markdown).split()


STRUCTURED = ("# Title\n\nIntro paragraph.\n\n## Findings\n\n1. First item\n2. Second item\n\n"
              "A paragraph after the list.\n\n```python\nx = 1\ny = 2\n```\n\n- bullet a\n- bullet b\n\n"
              "### Detail\n\nClosing words.\n")


def block_structure(view: ReportView) -> list[tuple[object, ...]]:
    """Each block as what a reader sees: heading level, list and its item number, code, text,
    spacing above and below."""
    from PySide6.QtGui import QTextFormat

    rows = []
    block = view.document().begin()
    while block.isValid():
        fmt = block.blockFormat()
        items = block.textList()
        rows.append((fmt.headingLevel(), items is not None and (items.format().style(), items.itemNumber(block)),
                     fmt.hasProperty(QTextFormat.Property.BlockCodeFence) or block.charFormat().fontFixedPitch(),
                     block.text(), round(fmt.topMargin()), round(fmt.bottomMargin())))
        block = block.next()
    return rows


def test_what_streams_has_the_structure_of_the_finished_report(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Headings, list items, paragraphs after lists and code blocks look while streaming as they
    will at the end (a paragraph after a list used to become a list item, a code block a bullet)."""
    whole = ReportView()
    qtbot.addWidget(whole)
    streamed = ReportView()
    qtbot.addWidget(streamed)
    for size in (1, 5, 13):
        streamed.clear_report()
        for start in range(0, len(STRUCTURED), size):
            streamed.append_delta(STRUCTURED[start:start + size])
            streamed.flush_now()
            whole.show_report(STRUCTURED[:start + size])
            finished = len(block_structure(whole)) - 1  # the last block may still be growing
            assert block_structure(streamed)[:finished] == block_structure(whole)[:finished], \
                f"{size}-character chunks, after {start + size} characters"
        assert block_structure(streamed) == block_structure(whole)
        assert streamed.document().documentMargin() == whole.document().documentMargin()


def test_tables_draw_their_grid_between_opaque_cells_streamed_or_whole(qtbot) -> None:  # type: ignore[no-untyped-def]
    # Qt's collapsed cell borders took 4-5x as long to paint; the grid is now the table's
    # background showing through 1 px of cell spacing (as in the PDF), whichever way it rendered.
    from PySide6.QtGui import QPalette

    streamed = ReportView()
    qtbot.addWidget(streamed)
    for start in range(0, len(REPORT), 9):  # rendered inside the view's own edit blocks
        streamed.append_delta(REPORT[start:start + 9])
        streamed.flush_now()
    whole = QTextDocument()
    set_markdown(whole, REPORT)
    palette = streamed.palette()
    for document in (streamed.document(), whole):
        (table,) = document.rootFrame().childFrames()
        fmt = table.format()
        assert (fmt.borderCollapse(), fmt.border(), fmt.cellSpacing()) == (False, 0, 1)
        assert fmt.background().color() == palette.color(QPalette.ColorRole.Mid)
        cells = [table.cellAt(row, column) for row in range(table.rows()) for column in range(table.columns())]
        assert all(cell.format().background().color() == palette.color(QPalette.ColorRole.Base) for cell in cells)
        assert cells[0].format().fontWeight() == 700  # the header row stays bold

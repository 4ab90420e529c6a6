"""Links the views must not offer: javascript:, data:, vbscript:, file: and disguised ones.

The in-app views showed them as links (clicking did nothing) where the exports leave them as
text. They are now shown as their Markdown text there too; web and mail links stay links.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QTextDocument
from scripted_model import ScriptedChatModel
from window_driver import start_run, wait_for_review

from hitl_desktop.ui.widgets.safe_markdown import SafeTextBrowser

HOSTILE_LINKS = ("[run me](javascript:alert(1)) and [page](data:text/html;base64,PHNjcmlwdD4=) "
                 "and [vb](vbscript:msgbox) and [disk](file:///etc/passwd) and [tabbed](java\tscript:x) "
                 "and <javascript:alert(2)> but [the bay](https://example.org/fundy) and "
                 "[mail](mailto:someone@example.org) and [**bold** run](JavaScript:evil()) stay.")


def anchors(document: QTextDocument) -> list[str]:
    found = []
    block = document.firstBlock()
    while block.isValid():
        fragments = block.begin()
        while not fragments.atEnd():
            fmt = fragments.fragment().charFormat()
            if fmt.isAnchor() and fmt.anchorHref():
                found.append(fmt.anchorHref())
            fragments += 1
        block = block.next()
    return found


def test_a_view_shows_unsafe_links_as_text(qtbot) -> None:  # type: ignore[no-untyped-def]
    view = SafeTextBrowser()
    qtbot.addWidget(view)
    view.set_safe_markdown(f"# Links\n\n{HOSTILE_LINKS}\n\n- in a list: [x](javascript:void(0))\n")
    assert set(anchors(view.document())) == {"https://example.org/fundy", "mailto:someone@example.org"}
    text = view.toPlainText()
    assert "[run me](javascript:alert(1))" in text and "javascript:alert(2)" in text
    assert "[page](data:text/html;base64,PHNjcmlwdD4=)" in text and "[bold run](JavaScript:evil())" in text
    assert "the bay" in text and "stay." in text


def test_review_and_report_views_of_the_real_window_offer_no_unsafe_link(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    model = ScriptedChatModel(f"## Notes\n\n{HOSTILE_LINKS}", f"# Report\n\n{HOSTILE_LINKS}\n\nThe end.")
    window = window_with(model)
    start_run(qtbot, window)
    dialog = wait_for_review(qtbot, window, 1)
    assert set(anchors(dialog.researchPreview.document())) == {"https://example.org/fundy",
                                                            "mailto:someone@example.org"}
    qtbot.mouseClick(dialog.approveButton, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: window.report is not None, timeout=10_000)
    window.reportView.flush_now()
    assert set(anchors(window.reportView.document())) == {"https://example.org/fundy",
                                                          "mailto:someone@example.org"}
    assert "[run me](javascript:alert(1))" in window.reportView.toPlainText()


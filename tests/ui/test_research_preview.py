"""The research notes stream into the window while a round runs, not just a character count."""

from __future__ import annotations

from scripted_model import ScriptedChatModel
from window_driver import start_run, wait_for_review

from hitl_desktop.core.models import ResearchDelta, ReviewRequest
from hitl_desktop.ui.widgets.research_preview import ResearchPreview


def test_research_notes_show_in_the_window_as_they_are_written(qtbot, window_with) -> None:  # type: ignore[no-untyped-def]
    research = "## Key findings\n\n1. Tidal costs about 200 EUR/MWh.\n\n## Open questions\n\n- Sites?"
    window = window_with(ScriptedChatModel(research, "# Report\n\nDone."))
    preview = window.researchPreview
    assert not preview.isVisible()
    start_run(qtbot, window)
    qtbot.waitUntil(lambda: "200 EUR/MWh" in preview.view.toPlainText(), timeout=10_000)
    assert preview.isVisible() and preview.round == 1
    wait_for_review(qtbot, window, 1)
    assert preview.markdown() == research
    assert "Open questions" in preview.view.toPlainText()


def test_each_round_replaces_the_last_and_clearing_empties_it(qtbot) -> None:  # type: ignore[no-untyped-def]
    preview = ResearchPreview()
    qtbot.addWidget(preview)
    for piece in ("## Round one\n\n", "first notes"):
        preview.add_delta(ResearchDelta(round=1, text=piece))
    preview.view.flush_now()
    assert "first notes" in preview.view.toPlainText() and "round 1" in preview.title.text()
    preview.show_review(ReviewRequest(round=1, topic="t", notes="## Round one\n\nfirst notes"))
    preview.add_delta(ResearchDelta(round=2, text="second notes"))
    preview.view.flush_now()
    assert preview.view.toPlainText() == "second notes" and "round 2" in preview.title.text()
    preview.clear()  # another run is shown
    assert preview.markdown() == "" and preview.isHidden()


def test_the_window_counts_the_research_of_each_round_as_it_comes(qtbot) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.ui.widgets.progress_list import ProgressList
    from hitl_desktop.ui.widgets.report_view import ReportView
    from hitl_desktop.ui.widgets.run_display import RunDisplay

    preview, progress, report = ResearchPreview(), ProgressList(), ReportView()
    for widget in (preview, progress, report):
        qtbot.addWidget(widget)
    display = RunDisplay(progress, report, preview)
    display.add("run-1", "Tidal power")
    display.show("run-1")
    for _ in range(5_000):  # as many pieces as a fast model sends in a second or two
        display.research_delta("run-1", ResearchDelta(round=1, text="abcd"))
    assert display.research_chars("run-1") == 20_000
    display.research_delta("run-1", ResearchDelta(round=2, text="new round"))
    assert display.research_chars("run-1") == len("new round")
    display.review_requested("run-1", ReviewRequest(round=2, topic="Tidal power", notes="new round"))
    assert display.research_chars("run-1") == 0 and display.research_chars("other") == 0


def test_a_run_started_while_the_preload_imports_waits_for_it(qtbot, qloop, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two threads importing llama-index at once can give one of them a half-made module (an
    ImportError that failed a run resumed at start-up): a run waits for the preload first."""
    import threading

    from window_driver import start_run, wait_for_review

    from hitl_desktop.ui import MainWindow, bridge as bridge_module
    from hitl_desktop.ui.bridge import WorkflowBridge

    events: list[str] = []
    release = threading.Event()

    def slow_preload(also=()):  # type: ignore[no-untyped-def]
        events.append("preload started")
        release.wait(10)
        events.append("preload done")

    monkeypatch.setattr(bridge_module, "preload_run_modules", slow_preload)
    model = ScriptedChatModel("## Notes\n\nTides.", "# Report\n\nDone.")

    def model_source():  # type: ignore[no-untyped-def]
        events.append("model built")
        return model

    window = MainWindow(WorkflowBridge(model_source=model_source))
    qtbot.addWidget(window)
    window.show()
    window.bridge.preload()
    qtbot.waitUntil(lambda: events == ["preload started"], timeout=5_000)
    start_run(qtbot, window)
    qtbot.wait(300)
    assert "model built" not in events  # waiting for the imports, not racing them
    release.set()
    wait_for_review(qtbot, window, 1)
    assert events[:3] == ["preload started", "preload done", "model built"]
    window.bridge.stop()
    qtbot.waitUntil(lambda: not window.bridge.is_running, timeout=5_000)

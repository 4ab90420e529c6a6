"""File > Include How the Report Was Made: on by default, remembered, and obeyed by every save."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from export_samples import made_report
from PySide6.QtWidgets import QWidget

from hitl_desktop.core.models import Report
from hitl_desktop.ui.widgets.report_actions import ReportActions
from hitl_desktop.ui.window_state import include_provenance


class Harness:
    """ReportActions on a bare widget, writing files at once instead of on a worker thread."""

    def __init__(self, qtbot, report: Report | None) -> None:  # type: ignore[no-untyped-def]
        self.widget = QWidget()
        qtbot.addWidget(self.widget)
        self.written: list[Path] = []
        self.actions = ReportActions(self.widget, lambda: report, self.write_files, pytest.fail)

    def write_files(self, _description: str, write: Callable[[], list[Path]], *,
                    then: Callable[[list[Path]], None] | None = None) -> None:
        self.written += write()
        if then is not None:
            then(self.written)


def test_the_switch_is_on_by_default_and_always_enabled(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    harness = Harness(qtbot, None)
    action = harness.actions.includeProvenanceAction
    assert include_provenance() and action.isCheckable() and action.isChecked()
    assert action in harness.actions.file_actions
    assert action.isEnabled() and not harness.actions.saveReportAction.isEnabled()


def test_turning_it_off_is_remembered(qtbot, app) -> None:  # type: ignore[no-untyped-def]
    Harness(qtbot, None).actions.includeProvenanceAction.setChecked(False)
    assert not include_provenance()
    assert not Harness(qtbot, None).actions.include_provenance


def test_saving_and_exporting_follow_the_switch(qtbot, app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    harness = Harness(qtbot, made_report())
    harness.actions._save_to(tmp_path / "on.md", made_report(), None)
    assert "provenance:" in (tmp_path / "on.md").read_text(encoding="utf-8")

    harness.actions.includeProvenanceAction.setChecked(False)
    harness.actions._save_to(tmp_path / "off.md", made_report(), None)
    assert not (tmp_path / "off.md").read_text(encoding="utf-8").startswith("---")
    harness.actions._write_all(tmp_path, "all")
    for path in tmp_path.glob("all.*"):
        if path.suffix in (".md", ".html", ".txt"):
            text = path.read_text(encoding="utf-8")
            assert "How this report was made" not in text and "qwen-plus" not in text, path.name

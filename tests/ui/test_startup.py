"""Start-up imports only what the first frame needs, and the preload only what the chosen
provider's run needs, without full garbage collections (which freeze the window)."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from app_process import isolated_env


def run_python(code: str, home: Path, **env: str) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=isolated_env(home, **env),
                            capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_first_frame_needs_no_markdown_parser_nor_dialogs_and_pyside_reads_no_module_sources(tmp_path: Path) -> None:
    (tmp_path / "freshly_imported.py").write_text("VALUE = 1\n", encoding="utf-8")
    found = run_python(f"""
        import json, linecache, sys
        sys.path.insert(0, {str(tmp_path)!r})
        from PySide6.QtWidgets import QApplication
        import qasync
        app = QApplication([])
        loop = qasync.QEventLoop(app, already_running=True)
        from hitl_desktop.ui import MainWindow
        window = MainWindow()
        window.show()
        app.processEvents()
        import freshly_imported
        deferred = ("hitl_desktop.ui.widgets.review_dialog", "hitl_desktop.ui.widgets.settings_dialog",
                    "PySide6.QtPrintSupport")
        print(json.dumps({{"parser": "markdown_it" in sys.modules,
                          "read": any("freshly_imported" in name for name in linecache.cache),
                          "dialogs": [name for name in deferred if name in sys.modules]}}))
    """, tmp_path / "home")
    assert found == {"parser": False, "read": False, "dialogs": []}


def test_the_first_frame_comes_before_asyncio_and_the_services_and_offers_only_what_works_without_them(
        tmp_path: Path) -> None:
    found = run_python("""
        import json, sys
        from PySide6.QtGui import QAction
        from PySide6.QtWidgets import QAbstractButton, QApplication
        from hitl_desktop.ui import app
        qapp = QApplication([])
        window = app._show_first_frame(app.parse_args(["--topic", "tidal power"]))
        app._wait_until_exposed(window)
        services = ("asyncio", "qasync", "hitl_desktop.ui.bridge", "hitl_desktop.core.store",
                    "hitl_desktop.core.run", "hitl_desktop.core.models", "keyring", "sqlite3")
        later = ("logging.handlers", "html", "dataclasses", "hitl_desktop.ui.widgets.markdown_blocks",
                 "hitl_desktop.ui.widgets.markdown_render")
        import PySide6.QtCore, PySide6.QtGui, PySide6.QtWidgets
        # PySide makes a class (and its enums) at its first use from Python: these wait until used.
        classes = {"QtWidgets": ("QStyle", "QFileDialog", "QMessageBox", "QSystemTrayIcon"),
                   "QtGui": ("QTextCursor", "QTextFormat", "QTextBlockFormat", "QPalette", "QAccessible")}
        made = [name for module, names in classes.items() for name in names
                if name in vars(getattr(PySide6, module))]
        sizes = [window.runButton.sizeHint().toTuple(), window.stopButton.sizeHint().toTuple()]
        blank = [window.runButton.icon().isNull(), "QStyle" in vars(PySide6.QtWidgets)]
        first_icon = window.runButton.icon().cacheKey()
        window.set_standard_icons()
        print(json.dumps({"exposed": window.windowHandle().isExposed(), "topic": window.topic.text(),
                          # PySide makes all of the Qt namespace's enums at its first use (qt_enums)
                          "qt_namespace": "Qt" in vars(PySide6.QtCore),
                          "classes": made, "modules": [name for name in later if name in sys.modules],
                          "icons": {"blank": blank, "sizes_kept": sizes == [window.runButton.sizeHint().toTuple(),
                                                                            window.stopButton.sizeHint().toTuple()],
                                    "set": [window.runButton.icon().cacheKey() != first_icon,
                                            "QStyle" in vars(PySide6.QtWidgets)]},
                          "loaded": [name for name in services if name in sys.modules],
                          "actions": sorted(action.objectName() for action in window.findChildren(QAction)
                                            if action.isEnabled() and action.objectName()),
                          "buttons": [button.objectName() for button in window.findChildren(QAbstractButton)
                                      if button.isEnabled() and button.isVisibleTo(window)],
                          "tabs": [window.sidePanes.tabText(i) for i in range(window.sidePanes.count())]}))
    """, tmp_path / "home")
    assert found["exposed"] is True and found["topic"] == "tidal power"
    assert found["qt_namespace"] is False
    assert found["classes"] == [] and found["modules"] == []
    # Run and Stop show a blank icon of the same size first, the style's icon just after.
    assert found["icons"] == {"blank": [False, False], "sizes_kept": True, "set": [True, True]}
    assert found["loaded"] == []
    # What needs no services works at once; the rest is disabled until they are attached.
    assert found["actions"] == ["aboutAction", "copyAction", "includeProvenanceAction", "quitAction",
                                "selectAllAction"]
    assert found["buttons"] == []
    assert found["tabs"] == ["Progress", "Sources", "History"]  # the layout the attached window has


def test_a_window_attaches_its_services_after_the_first_frame_and_then_offers_its_commands(qtbot) -> None:  # type: ignore[no-untyped-def]
    from hitl_desktop.ui.widgets.main_window import MainWindow

    window = MainWindow(attach=False)
    qtbot.addWidget(window)
    window.topicInput.setPlainText("the economics of tidal power in Europe")
    assert not window.runAction.isEnabled() and not window.settingsAction.isEnabled()
    window.attach_services()
    assert window.runAction.isEnabled() and window.runButton.isEnabled()
    assert window.settingsAction.isEnabled() and window.addDocumentsAction.isEnabled()
    assert window.sidePanes.widget(1) is window.sourcesPanel and window.sidePanes.widget(2) is window.history
    assert window.providerLabel.text()  # the provider is named once the settings are read
    window.close_without_asking()


@pytest.mark.parametrize(("provider", "loaded", "left_out"), [("dashscope", "dashscope", "openai"),
                                                            ("openai_compatible", "openai", "dashscope")])
def test_the_preload_imports_the_chosen_providers_run_only_and_freezes_what_it_imported(
        tmp_path: Path, provider: str, loaded: str, left_out: str) -> None:
    found = run_python("""
        import gc, json, sys
        from hitl_desktop.ui.app import _OPENED_DURING_A_RUN
        from hitl_desktop.ui.run_preload import preload_run_modules
        preload_run_modules(also=_OPENED_DURING_A_RUN)
        print(json.dumps({"modules": sorted(m for m in ("dashscope", "openai", "llama_index.core.llms",
                                                      "hitl_desktop.core.workflow.research",
                                                      "hitl_desktop.ui.widgets.review_dialog") if m in sys.modules),
                          "gc_on": gc.isenabled(), "frozen": gc.get_freeze_count()}))
    """, tmp_path / "home", HITL_DESKTOP_PROVIDER=provider)
    assert loaded in found["modules"] and left_out not in found["modules"]  # type: ignore[operator]
    assert {"llama_index.core.llms", "hitl_desktop.core.workflow.research",  # and the review dialog
            "hitl_desktop.ui.widgets.review_dialog"} <= set(found["modules"])  # type: ignore[arg-type]
    assert found["gc_on"] is True and found["frozen"] > 10_000  # type: ignore[operator]

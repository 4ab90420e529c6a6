"""The layering the app depends on: a Qt-free core, LlamaIndex-free widgets, a light start-up."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hitl_desktop"
# The modules allowed to import Qt, each with its reason. Everything else in the package is core.
QT_MODULES = {
    "hitl_desktop.ui": "the widgets (every module under hitl_desktop/ui/)",
    "hitl_desktop.bridge": "the one QObject joining Qt and the workflow",
    "hitl_desktop.app": "the entry point: creates the QApplication and the qasync loop",
    "hitl_desktop.__main__": "`python -m hitl_desktop`: runs app.main",
    "hitl_desktop.export.pdf": "PDF is rendered by Qt (QTextDocument + QPdfWriter)",
}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_qt_module(name: str) -> bool:
    return any(name == allowed or name.startswith(allowed + ".") for allowed in QT_MODULES)


CORE_MODULES = sorted(name for name in map(_module_name, PACKAGE.rglob("*.py"))
                      if not _is_qt_module(name))


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_core_modules_are_the_whole_package_but_the_qt_layer() -> None:
    assert "hitl_desktop.workflow.research" in CORE_MODULES and "hitl_desktop.event_loop" in CORE_MODULES
    assert not [name for name in CORE_MODULES if name.startswith("hitl_desktop.ui")]


@pytest.mark.parametrize("module", CORE_MODULES)
def test_core_modules_import_no_qt(module: str) -> None:
    loaded = run_python(f"""
        import sys, {module}
        print(sorted(m for m in sys.modules if m.startswith(("PySide6", "shiboken6", "qasync"))))
    """)
    assert loaded == "[]"


def test_widgets_never_import_llama_index_directly() -> None:
    offenders = [str(path.relative_to(PACKAGE)) for path in (PACKAGE / "ui").rglob("*.py")
                 if any(word in line for line in path.read_text(encoding="utf-8").splitlines()
                        if line.lstrip().startswith(("import ", "from "))
                        for word in ("llama_index", "workflows"))]
    assert offenders == []


def test_the_window_comes_up_before_llama_index_is_imported(isolated_home: Path) -> None:
    loaded = run_python("""
        import os, sys
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from PySide6.QtWidgets import QApplication
        import qasync, asyncio
        app = QApplication([])
        loop = qasync.QEventLoop(app, already_running=True)
        from hitl_desktop.ui import MainWindow
        window = MainWindow()
        window.show()
        app.processEvents()
        print(sorted({m.split(".")[0] for m in sys.modules if m.startswith(("llama_index", "workflows"))}))
    """)
    assert loaded == "[]"

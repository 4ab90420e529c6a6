"""The layering the app depends on: a Qt-free core, LlamaIndex-free widgets, a light start-up."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hitl_desktop"
CORE_MODULES = [
    "hitl_desktop.workflow.research", "hitl_desktop.session", "hitl_desktop.providers",
    "hitl_desktop.providers.dashscope_chat", "hitl_desktop.settings", "hitl_desktop.export",
    "hitl_desktop.export.markdown", "hitl_desktop.export.html", "hitl_desktop.export.docx",
    "hitl_desktop.export.text", "hitl_desktop.models", "hitl_desktop.errors",
    "hitl_desktop.providers.openai_compatible", "hitl_desktop.providers.retry",
    "hitl_desktop.providers.redacting_stream", "hitl_desktop.providers.connection_check",
    "hitl_desktop.secret_store",
]


def run_python(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


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

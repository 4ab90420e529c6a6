"""The layering the app depends on: a Qt-free core, LlamaIndex-free widgets, a light start-up.

The rules themselves are import-linter contracts in pyproject.toml ([tool.importlinter]); one
static pass over the whole package checks them, function-level imports included.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(package_parent: Path) -> subprocess.CompletedProcess[str]:
    """Check pyproject.toml's contracts against the `hitl_desktop` found in `package_parent`."""
    return subprocess.run([str(LINT_IMPORTS), str(ROOT / "pyproject.toml"), "--no-cache"],
                          capture_output=True, text=True, timeout=120, check=False,
                          cwd=package_parent, env={"PYTHONPATH": str(package_parent),
                                                   "PATH": "/usr/bin:/bin"})


def test_the_layering_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_a_qt_import_hidden_in_a_core_function_is_caught(tmp_path: Path) -> None:
    """What the old per-module import tests missed: an import that runs only when a function is
    called. The contracts must see it."""
    shutil.copytree(ROOT / "hitl_desktop", tmp_path / "hitl_desktop",
                    ignore=shutil.ignore_patterns("__pycache__"))
    models = tmp_path / "hitl_desktop" / "core" / "models.py"
    models.write_text(models.read_text(encoding="utf-8") + textwrap.dedent("""

        def _render_somewhere():
            from PySide6.QtGui import QTextDocument
            return QTextDocument
    """), encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "hitl_desktop.core.models -> PySide6" in result.stdout


def test_the_team_server_importing_the_ui_is_caught(tmp_path: Path) -> None:
    """The server runs where no display is: a window or Qt import in it must fail here first."""
    shutil.copytree(ROOT / "hitl_desktop", tmp_path / "hitl_desktop",
                    ignore=shutil.ignore_patterns("__pycache__"))
    auth = tmp_path / "hitl_desktop" / "server" / "auth.py"
    auth.write_text(auth.read_text(encoding="utf-8") + textwrap.dedent("""

        def _warn_on_screen():
            from hitl_desktop.ui import notifier
            return notifier
    """), encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "hitl_desktop.server.auth -> hitl_desktop.ui" in result.stdout


def test_the_window_comes_up_before_llama_index_is_imported(isolated_home: Path) -> None:
    result = subprocess.run([sys.executable, "-c", textwrap.dedent("""
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
    """)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


_QT_MODULES = ("PySide6", "shiboken6", "qasync", "hitl_desktop.ui")
_QT_FIXTURES = {"qtbot", "qapp", "qloop", "app"}


def test_the_core_tests_need_no_qt() -> None:
    """tests/core runs the core as the command line does: no Qt import, no Qt fixture."""
    found = []
    for path in sorted((ROOT / "tests" / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                modules = [node.module or ""]
            else:
                modules = []
            found += [f"{path.name} imports {m}" for m in modules
                      if any(m == qt or m.startswith(qt + ".") for qt in _QT_MODULES)]
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                found += [f"{path.name}:{node.name} uses {a.arg}" for a in node.args.args
                          if a.arg in _QT_FIXTURES]
    assert not found, found

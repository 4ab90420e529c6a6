"""All Qt: the application, the bridge to the workflow, threads, and the widgets.

Nothing here imports LlamaIndex: the bridge is the only way to the workflow. `MainWindow` is
imported on first use, not with the package: the start-up path imports the window's widgets
before the services behind them (asyncio, the bridge, the run store), to show the first frame
sooner (see app.py).
"""

from typing import TYPE_CHECKING

from hitl_desktop.ui.pyside_imports import skip_source_scans

skip_source_scans()  # before anything else is imported: see pyside_imports

if TYPE_CHECKING:
    from hitl_desktop.ui.widgets.main_window import MainWindow

__all__ = ["MainWindow"]


def __getattr__(name: str) -> object:
    if name == "MainWindow":
        from hitl_desktop.ui.widgets.main_window import MainWindow

        return MainWindow
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

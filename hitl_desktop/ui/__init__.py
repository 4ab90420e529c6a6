"""All Qt: the application, the bridge to the workflow, threads, and the widgets.

Nothing here imports LlamaIndex: the bridge is the only way to the workflow.
"""

from hitl_desktop.ui.pyside_imports import skip_source_scans

skip_source_scans()  # before anything else is imported: see pyside_imports

from hitl_desktop.ui import pdf_export  # noqa: E402, F401 (registers the PDF format with the core)
from hitl_desktop.ui.widgets.main_window import MainWindow  # noqa: E402

__all__ = ["MainWindow"]

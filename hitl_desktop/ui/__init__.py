"""All Qt: the application, the bridge to the workflow, threads, and the widgets.

Nothing here imports LlamaIndex: the bridge is the only way to the workflow.
"""

from hitl_desktop.ui import pdf_export  # noqa: F401 (registers the PDF format with the core)
from hitl_desktop.ui.widgets.main_window import MainWindow

__all__ = ["MainWindow"]

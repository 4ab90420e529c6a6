"""Qt widgets. Nothing here imports LlamaIndex: the bridge is the only way to the workflow."""

from hitl_desktop.ui.main_window import MainWindow

__all__ = ["MainWindow"]

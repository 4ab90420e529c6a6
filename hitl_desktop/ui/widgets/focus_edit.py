"""Edit menu actions for whatever has the keyboard, and the About box."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication, QListWidget, QWidget

from hitl_desktop import APP_NAME, __version__


def copy_from(widget: QWidget | None) -> None:
    """Edit > Copy: a focused text field copies its selection, a list its selected lines as text.
    (A text field handles Ctrl+C itself; the menu item reaches it by mouse too.)"""
    if isinstance(widget, QListWidget):
        lines = [item.text() for item in widget.selectedItems()]
        if lines:
            QApplication.clipboard().setText("\n".join(lines))
    elif hasattr(widget, "copy"):
        widget.copy()


def select_all_in(widget: QWidget | None) -> None:
    if hasattr(widget, "selectAll"):
        widget.selectAll()


def show_about(parent: QWidget) -> None:
    from PySide6.QtWidgets import QMessageBox  # its class and enums: not needed for the first frame

    box = QMessageBox(QMessageBox.Icon.Information, f"About {APP_NAME}",
                      f"{APP_NAME} {__version__}\n\nAn LLM agent researches, you review, it writes the report.",
                      QMessageBox.StandardButton.Ok, parent)
    box.finished.connect(box.deleteLater)
    box.open()

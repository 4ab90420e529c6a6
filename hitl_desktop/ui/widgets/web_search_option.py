"""WebSearchOption: the Settings box with the switch for DashScope's web search and a note on it.

Only Qwen on DashScope can search the web and return the pages it read; for the other providers
the switch is greyed out (keeping its state for when DashScope is chosen again) and the note
says why.
"""

from __future__ import annotations

from PySide6.QtWidgets import QCheckBox, QGroupBox, QLabel, QVBoxLayout, QWidget

from hitl_desktop.core.settings import DASHSCOPE, OFFLINE

_NOTES = {
    DASHSCOPE: "Qwen also searches the web and cites the pages it read; you keep, drop or pin "
               "each at review. Quotes from a web page cannot be checked.",
    OFFLINE: "The offline engine uses only your documents, with no network.",
}
_ELSEWHERE = "Only Qwen on DashScope can search the web: other servers return no sources."


class WebSearchOption(QGroupBox):
    def __init__(self, on: bool, parent: QWidget | None = None) -> None:
        super().__init__("Web search", parent)
        self.checkBox = QCheckBox("Search the &web (DashScope)", self, objectName="webSearchCheck")
        self.checkBox.setChecked(on)
        self.note = QLabel(self, objectName="webSearchNote")
        self.note.setWordWrap(True)
        column = QVBoxLayout(self)
        column.setSpacing(4)
        column.addWidget(self.checkBox)
        column.addWidget(self.note)
        column.addStretch(1)

    def show_for(self, provider: str) -> None:
        self.checkBox.setEnabled(provider == DASHSCOPE)
        self.note.setText(_NOTES.get(provider, _ELSEWHERE))

    def is_on(self) -> bool:
        return self.checkBox.isChecked()

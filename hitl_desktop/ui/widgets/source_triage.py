"""SourceTriage: this round's sources, each to keep, drop or pin, and the passage each cites.

One row per document or web page, with its passages ([n] and where in the document) beneath.
Selecting a passage shows its whole text, so the reviewer can check what the notes say it says.
Dropped sources never return in later rounds or in the report; pinned ones always do.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QUrl, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (QComboBox, QHBoxLayout, QHeaderView, QLabel, QPlainTextEdit, QPushButton,
                               QSplitter, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget)

from hitl_desktop.core.citations import Citation, sources_by_document

KEEP, DROP, PIN = "keep", "drop", "pin"
_CHOICES = ((KEEP, "Keep"), (DROP, "Drop"), (PIN, "Pin"))
_SOURCE_ROLE = Qt.ItemDataRole.UserRole


class SourceTriage(QWidget):
    def __init__(self, citations: Sequence[Citation], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("sourceTriage")
        self._choices: dict[str, QComboBox] = {}
        self._passages = {c.number: c for c in citations}
        self.tree = QTreeWidget(self, objectName="sourcesTree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Source", "Where", "Decision"])
        self.tree.setAccessibleName("This round's sources")
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        for source, cited in sources_by_document(citations).items():
            numbers = ", ".join(f"[{c.number}]" for c in cited)
            row = QTreeWidgetItem(self.tree, [f"{cited[0].title}  {numbers}", _short(source), ""])
            row.setToolTip(0, source)
            row.setData(0, _SOURCE_ROLE, source)
            for citation in cited:
                child = QTreeWidgetItem(row, [f"[{citation.number}] {_preview(citation)}", citation.location])
                child.setData(0, _SOURCE_ROLE, citation.number)
            choice = QComboBox(self.tree, objectName="sourceDecision")
            for value, label in _CHOICES:
                choice.addItem(label, value)
            choice.setAccessibleName(f"Keep, drop or pin {cited[0].title}")
            self.tree.setItemWidget(row, 2, choice)
            self._choices[source] = choice
            row.setExpanded(True)
        self.passageText = QPlainTextEdit(self, objectName="passageText")
        self.passageText.setReadOnly(True)
        self.passageText.setPlaceholderText("Select a passage to read it whole.")
        self.openButton = QPushButton("&Open Source", self, objectName="openSourceButton")
        self.openButton.setEnabled(False)
        self.openButton.clicked.connect(self._open_selected)
        self.tree.currentItemChanged.connect(self._show_selected)

        hint = QLabel("Drop a source to leave it out of later rounds and the report; pin one to keep "
                      "it in every round." if citations else
                      "No source was found for this round: its notes cite nothing.")
        hint.setWordWrap(True)
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.tree)
        reader = QWidget(split)
        reader_layout = QVBoxLayout(reader)
        reader_layout.setContentsMargins(0, 0, 0, 0)
        reader_layout.addWidget(self.passageText, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.openButton)
        reader_layout.addLayout(row)
        split.addWidget(reader)
        split.setSizes([260, 140])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(hint)
        layout.addWidget(split, 1)

    def decision(self, source: str) -> str:
        return str(self._choices[source].currentData())

    def set_decision(self, source: str, value: str) -> None:
        choice = self._choices[source]
        choice.setCurrentIndex(choice.findData(value))

    def sources_with(self, value: str) -> tuple[str, ...]:
        return tuple(source for source, choice in self._choices.items() if choice.currentData() == value)

    def _selected_citation(self) -> Citation | None:
        item = self.tree.currentItem()
        number = item.data(0, _SOURCE_ROLE) if item is not None else None
        return self._passages.get(number) if isinstance(number, int) else None

    def _show_selected(self) -> None:
        citation = self._selected_citation()
        item = self.tree.currentItem()
        if citation is not None:
            self.passageText.setPlainText(f"[{citation.number}] {citation.title} — {citation.location}\n\n"
                                          f"{citation.text or citation.source}{_web_note(citation)}")
        source = citation.source if citation else (item.data(0, _SOURCE_ROLE) if item is not None else None)
        self.openButton.setEnabled(isinstance(source, str))

    def _open_selected(self) -> None:
        item = self.tree.currentItem()
        if item is None:
            return
        citation = self._selected_citation()
        source = citation.source if citation else item.data(0, _SOURCE_ROLE)
        url = QUrl(source) if source.startswith(("http://", "https://")) else QUrl.fromLocalFile(source)
        QDesktopServices.openUrl(url)


def _web_note(citation: Citation) -> str:
    # The search gives a page's address and title, not its words: say why its quotes go unchecked.
    return ("\n\nA page the model found on the web. Its text is not kept here, so quotes from it "
            "are not checked: open it to read it.") if citation.is_web and not citation.text else ""


def _short(source: str) -> str:
    return source if source.startswith(("http://", "https://")) else Path(source).name


def _preview(citation: Citation, limit: int = 90) -> str:
    text = " ".join(citation.text.split()) or citation.source
    return text if len(text) <= limit else text[:limit - 1] + "…"

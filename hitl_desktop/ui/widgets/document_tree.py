"""DocumentTree: the document roots (folders and files the user added), each with the documents
found under it and their passage counts; or the sample documents, when none are added."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QHeaderView, QStyle, QTreeWidget, QTreeWidgetItem, QWidget

from hitl_desktop.core.sources import DocumentInfo

_ROOT_ROLE = Qt.ItemDataRole.UserRole
_COUNT_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
_ROWS_PER_STEP = 250  # documents added to the tree in one turn of the event loop (3-8 ms)


class DocumentTree(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, objectName="sourcesTree")
        self.setHeaderLabels(["Document", "Passages"])
        self.setRootIsDecorated(True)
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self._unshown: list[tuple[QTreeWidgetItem, DocumentInfo]] = []  # documents still to add, last first
        # A timer, not QTimer.singleShot(0, ...): a posted event is handled before due timers,
        # so steps one after another would hold back every other timer of the window.
        self._filling = QTimer(self, singleShot=True, interval=0)
        self._filling.timeout.connect(self._show_some)

    def show_documents(self, roots: Sequence[Path], documents: Sequence[DocumentInfo], *,
                       sample: Path | None, launch_only: Collection[Path], counted: bool) -> None:
        """Roots as top rows (or one "Sample documents" row for `sample`), documents under them;
        passage counts on roots only once an index run has `counted` them.

        The roots at once, their documents `_ROWS_PER_STEP` at a time between frames: an item a
        document, made and laid out through PySide, is 10-30 microseconds (1,500 documents at
        once froze the window 20-50 ms when an index run ended)."""
        self._filling.stop()
        self.clear()
        style = self.style()
        folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        parents: dict[str, QTreeWidgetItem] = {}
        tops: list[QTreeWidgetItem] = []
        if not roots:
            top = QTreeWidgetItem(["Sample documents", ""])
            top.setIcon(0, folder_icon)
            top.setToolTip(0, "Used while you have added no documents of your own")
            font = top.font(0)
            font.setItalic(True)
            top.setFont(0, font)
            if sample is not None:
                parents[str(sample)] = top
            tops.append(top)
        for root in roots:
            label = root.name or str(root)
            if root in launch_only:
                label += " (for this launch)"
            item = QTreeWidgetItem([label, ""])
            item.setIcon(0, folder_icon if root.is_dir() else style.standardIcon(QStyle.StandardPixmap.SP_FileIcon))
            item.setToolTip(0, str(root))
            item.setData(0, _ROOT_ROLE, str(root))
            parents[str(root)] = item
            tops.append(item)
        totals: dict[str, int] = {}
        self._unshown = []
        for document in sorted(documents, key=lambda d: (d.title.casefold(), d.path)):
            parent = parents.get(document.root)
            if parent is None:
                continue
            totals[document.root] = totals.get(document.root, 0) + document.passages
            if parent.data(0, _ROOT_ROLE) == document.path:  # a root that is itself a file
                parent.setText(0, document.title)
            else:
                self._unshown.append((parent, document))
        for root, item in parents.items():
            if counted:
                item.setText(1, str(totals.get(root, 0)))
            item.setTextAlignment(1, _COUNT_ALIGNMENT)
        self.addTopLevelItems(tops)
        for top in tops:
            top.setExpanded(True)
        self._unshown.reverse()  # taken from the end: the first documents first
        self._show_some()

    def is_filling(self) -> bool:
        """Documents are still being added to the tree (a step each turn of the event loop)."""
        return bool(self._unshown)

    def _show_some(self) -> None:
        file_icon = self.style().standardIcon(QStyle.StandardPixmap.SP_FileIcon)
        children: dict[int, tuple[QTreeWidgetItem, list[QTreeWidgetItem]]] = {}
        for _ in range(min(_ROWS_PER_STEP, len(self._unshown))):
            parent, document = self._unshown.pop()
            child = QTreeWidgetItem([document.title, str(document.passages)])
            child.setIcon(0, file_icon)
            child.setToolTip(0, document.path)
            child.setTextAlignment(1, _COUNT_ALIGNMENT)
            children.setdefault(id(parent), (parent, []))[1].append(child)
        for parent, items in children.values():
            parent.addChildren(items)  # one announcement to the view for all of them
        if self._unshown:
            self._filling.start()

    def selected_root(self) -> Path | None:
        """The root the selected row is (or is under); None for none or the sample documents."""
        items = self.selectedItems()
        if not items:
            return None
        item = items[0]
        while item.parent() is not None:
            item = item.parent()
        root = item.data(0, _ROOT_ROLE)
        return Path(root) if root else None

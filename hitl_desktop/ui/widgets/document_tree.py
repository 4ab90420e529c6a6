"""DocumentTree: the document roots (folders and files the user added), each with the documents
found under it and their passage counts; or the sample documents, when none are added."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QStyle, QTreeWidget, QTreeWidgetItem, QWidget

from hitl_desktop.core.sources import DocumentInfo

_ROOT_ROLE = Qt.ItemDataRole.UserRole
_COUNT_ALIGNMENT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


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

    def show_documents(self, roots: Sequence[Path], documents: Sequence[DocumentInfo], *,
                       sample: Path | None, launch_only: Collection[Path], counted: bool) -> None:
        """Roots as top rows (or one "Sample documents" row for `sample`), documents under them;
        passage counts on roots only once an index run has `counted` them.

        The rows are made first and put in the tree at once: a row added to a shown tree is
        announced to the view one at a time (1,500 documents froze the window 40 ms)."""
        self.clear()
        style = self.style()
        folder_icon = style.standardIcon(QStyle.StandardPixmap.SP_DirIcon)
        file_icon = style.standardIcon(QStyle.StandardPixmap.SP_FileIcon)
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
            item.setIcon(0, folder_icon if root.is_dir() else file_icon)
            item.setToolTip(0, str(root))
            item.setData(0, _ROOT_ROLE, str(root))
            parents[str(root)] = item
            tops.append(item)
        totals: dict[str, int] = {}
        children: dict[str, list[QTreeWidgetItem]] = {}
        for document in sorted(documents, key=lambda d: (d.title.casefold(), d.path)):
            parent = parents.get(document.root)
            if parent is None:
                continue
            if parent.data(0, _ROOT_ROLE) == document.path:  # a root that is itself a file
                parent.setText(0, document.title)
                parent.setText(1, str(document.passages))
                totals[document.root] = document.passages
                continue
            child = QTreeWidgetItem([document.title, str(document.passages)])
            child.setIcon(0, file_icon)
            child.setToolTip(0, document.path)
            child.setTextAlignment(1, _COUNT_ALIGNMENT)
            children.setdefault(document.root, []).append(child)
            totals[document.root] = totals.get(document.root, 0) + document.passages
        for root, item in parents.items():
            item.addChildren(children.get(root, []))
            if counted:
                item.setText(1, str(totals.get(root, 0)))
            item.setTextAlignment(1, _COUNT_ALIGNMENT)
        self.addTopLevelItems(tops)
        self.expandAll()

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

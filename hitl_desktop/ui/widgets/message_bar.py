"""MessageBar: an in-window banner for errors, with the actions that fix them (no modal box)."""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QAccessible, QAccessibleEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QStyle, QWidget

MessageAction = tuple[str, Callable[[], None]]


class MessageBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("messageBar")
        self.setAccessibleName("Problem")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#messageBar { background: palette(alternate-base); border: 1px solid #c0392b;"
                           " border-radius: 4px; }")
        self._icon = QLabel(self)
        self.textLabel = QLabel(self)
        self.textLabel.setObjectName("messageText")
        self.textLabel.setWordWrap(True)
        self.textLabel.setTextFormat(Qt.TextFormat.RichText)
        self.textLabel.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.actionButtons: list[QPushButton] = []
        self._dismiss = QPushButton("Dismiss", self)
        self._dismiss.setObjectName("messageDismiss")
        self._dismiss.clicked.connect(self.hide)
        self._layout = QHBoxLayout(self)
        self._layout.setContentsMargins(10, 6, 6, 6)
        self._layout.addWidget(self._icon, 0, Qt.AlignmentFlag.AlignTop)
        self._layout.addWidget(self.textLabel, 1)
        self._layout.addWidget(self._dismiss)
        self.hide()

    def show_error(self, message: str, hint: str = "", actions: Sequence[MessageAction] = ()) -> None:
        icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        self._icon.setPixmap(icon.pixmap(20, 20))
        text = f"<b>{html.escape(message)}</b>"
        if hint:
            text += f"<br>{html.escape(hint)}"
        self.textLabel.setText(text)
        self._set_actions(actions)
        self.show()
        # Screen readers announce it as an alert; the keyboard lands on the action that fixes it.
        self.setAccessibleDescription(f"{message} {hint}".strip())
        QAccessible.updateAccessibility(QAccessibleEvent(self, QAccessible.Event.Alert))
        if self.actionButtons:
            self.actionButtons[-1].setFocus(Qt.FocusReason.OtherFocusReason)

    def message(self) -> str:
        return self.textLabel.text()

    def action(self, text: str) -> QPushButton | None:
        return next((b for b in self.actionButtons if b.text().replace("&", "") == text), None)

    def _set_actions(self, actions: Sequence[MessageAction]) -> None:
        for button in self.actionButtons:
            button.deleteLater()
        self.actionButtons = []
        for index, (text, callback) in enumerate(actions):
            button = QPushButton(text, self)
            button.setObjectName(f"messageAction{index}")
            # No automatic hide: an action like "Open Settings…" leaves the problem standing, and
            # the bar must stay until the action that resolves it (Retry, Run Again) hides it.
            button.clicked.connect(callback)
            self._layout.insertWidget(self._layout.indexOf(self._dismiss), button)
            self.actionButtons.append(button)
        self._order_tab_stops()

    def _order_tab_stops(self) -> None:
        """Tab visits the buttons as they appear (left to right, Dismiss last); new buttons would
        otherwise join the end of the window's focus chain."""
        chain = [*self.actionButtons, self._dismiss]
        before = self._dismiss.previousInFocusChain()
        while before in chain:
            before = before.previousInFocusChain()
        for earlier, later in zip([before, *chain], chain, strict=False):
            QWidget.setTabOrder(earlier, later)

"""ReviewNotifier: tells the person a research round is waiting for them when they are elsewhere.

A round can take minutes; people switch to other work meanwhile. When a review becomes ready
and none of the app's windows is active, the notifier shows a system notification (through the
tray icon, where the desktop has a system tray) or, without a tray, asks the taskbar or dock to
draw attention to the window. Answering it — clicking the notification or the tray icon, or
(without a tray) coming back to the window — brings the window forward and emits
`openRequested`, so the window can put the review in front.

What actually notifies is a small backend, so tests can stand in for the desktop.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtWidgets import QApplication, QWidget

from hitl_desktop import APP_NAME

if TYPE_CHECKING:  # the tray's classes load when a review first waits: not for the first frame
    from PySide6.QtWidgets import QSystemTrayIcon

MESSAGE_MS = 15_000
_TOPIC_CHARS = 120


class NotificationBackend(QObject):
    """The desktop's ways to notify. `clicked` fires when the person answers a notification."""

    clicked = Signal()

    def tray_available(self) -> bool:
        raise NotImplementedError

    def show_message(self, title: str, message: str) -> None:
        raise NotImplementedError

    def alert(self, window: QWidget) -> None:
        raise NotImplementedError

    def withdraw(self) -> None:
        """Take back whatever is still showing (the tray icon)."""


class SystemBackend(NotificationBackend):
    """QSystemTrayIcon.showMessage where a system tray exists, else QApplication.alert. The tray
    icon is shown only while a notification waits for an answer."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self._window = window
        self._tray: QSystemTrayIcon | None = None

    def tray_available(self) -> bool:
        from PySide6.QtWidgets import QSystemTrayIcon

        return QSystemTrayIcon.isSystemTrayAvailable()

    def show_message(self, title: str, message: str) -> None:
        tray = self._tray_icon()
        tray.show()
        tray.showMessage(title, message, tray.icon(), MESSAGE_MS)

    def alert(self, window: QWidget) -> None:
        QApplication.alert(window, 0)  # until the window is activated

    def withdraw(self) -> None:
        if self._tray is not None:
            self._tray.hide()

    def _tray_icon(self) -> QSystemTrayIcon:
        if self._tray is None:
            from PySide6.QtGui import QIcon
            from PySide6.QtWidgets import QStyle, QSystemTrayIcon

            icon = self._window.windowIcon()
            if icon.isNull():
                icon = QApplication.windowIcon()
            if icon.isNull():  # a tray icon without one warns and shows nothing
                icon = self._window.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxInformation)
            self._tray = QSystemTrayIcon(QIcon(icon), self)
            self._tray.setToolTip(APP_NAME)
            self._tray.messageClicked.connect(self.clicked)
            self._tray.activated.connect(self._on_activated)
        return self._tray

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        from PySide6.QtWidgets import QSystemTrayIcon

        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self.clicked.emit()


class ReviewNotifier(QObject):
    """Notifies that a review is ready, only while the window is not active."""

    openRequested = Signal()

    def __init__(self, window: QWidget, backend: NotificationBackend | None = None) -> None:
        super().__init__(window)
        self._window = window
        self.backend = backend if backend is not None else SystemBackend(window)
        self.backend.clicked.connect(self._answered)
        self._pending = ""  # "", "message" or "alert": what is waiting for an answer
        window.installEventFilter(self)

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    def window_is_active(self) -> bool:
        """Whether the person is in the app: its window, or one of its dialogs, is active."""
        window = self._window
        if not window.isVisible() or window.isMinimized():
            return False
        active = QApplication.activeWindow()
        while active is not None:
            if active is window:
                return True
            parent = active.parentWidget()
            active = parent.window() if parent is not None else None
        return False

    def review_ready(self, topic: str, round: int, *, waiting: int = 1) -> bool:  # noqa: A002 (the round's number)
        """A round of `topic` waits for review (`waiting` reviews in all, with other runs'):
        notify unless the window is active. Returns whether it did."""
        if self.window_is_active():
            return False
        title = (f"Research round {round} is ready for review" if waiting <= 1
                 else f"{waiting} reviews waiting: round {round} is ready")
        if self.backend.tray_available():
            self.backend.show_message(title, _shorten(topic))
            self._pending = "message"
        else:
            self.backend.alert(self._window)
            self._pending = "alert"
        return True

    def clear(self) -> None:
        """The review was decided or the run ended: nothing waits any more."""
        self._pending = ""
        self.backend.withdraw()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is self._window and event.type() == QEvent.Type.WindowActivate and self._pending:
            # Without a tray, coming back to the window is how the attention request is answered.
            answered = self._pending == "alert"
            self.clear()
            if answered:
                self.openRequested.emit()
        return False

    def _answered(self) -> None:
        self.clear()
        self._bring_forward()
        self.openRequested.emit()

    def _bring_forward(self) -> None:
        window = self._window
        if window.isMinimized():
            from PySide6.QtCore import Qt  # not before the first frame: see widgets.qt_enums

            window.setWindowState((window.windowState() & ~Qt.WindowState.WindowMinimized)
                                  | Qt.WindowState.WindowActive)
        window.show()
        window.raise_()
        window.activateWindow()


def _shorten(topic: str) -> str:
    text = " ".join(topic.split())
    return text if len(text) <= _TOPIC_CHARS else text[:_TOPIC_CHARS - 1].rstrip() + "…"

"""ReviewNotifier: a notification when a review is ready and the person is in another window."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialog, QMainWindow, QWidget

from hitl_desktop.ui.notifier import NotificationBackend, ReviewNotifier, SystemBackend


class FakeDesktop(NotificationBackend):
    """Records what would have been shown; `clicked` is the person answering."""

    def __init__(self, *, tray: bool) -> None:
        super().__init__()
        self.tray = tray
        self.messages: list[tuple[str, str]] = []
        self.alerts: list[QWidget] = []
        self.withdrawn = 0

    def tray_available(self) -> bool:
        return self.tray

    def show_message(self, title: str, message: str) -> None:
        self.messages.append((title, message))

    def alert(self, window: QWidget) -> None:
        self.alerts.append(window)

    def withdraw(self) -> None:
        self.withdrawn += 1


@pytest.fixture
def window(qtbot, app) -> QMainWindow:  # type: ignore[no-untyped-def]
    window = QMainWindow()
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def go_elsewhere(qtbot) -> QWidget:  # type: ignore[no-untyped-def]
    """Another top-level window takes the focus, as another application would."""
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow)
    return other


def test_an_inactive_window_gets_a_tray_notification(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    go_elsewhere(qtbot)
    assert notifier.review_ready("Tidal power\nin Europe", 2)
    assert desktop.messages == [("Research round 2 is ready for review", "Tidal power in Europe")]
    assert not desktop.alerts and notifier.pending


def test_with_other_runs_waiting_the_notification_counts_the_reviews(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    go_elsewhere(qtbot)
    assert notifier.review_ready("Urban beekeeping", 1, waiting=2)
    assert desktop.messages == [("2 reviews waiting: round 1 is ready", "Urban beekeeping")]


def test_an_active_window_is_not_notified(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    assert not notifier.review_ready("Tidal power", 1)
    assert not desktop.messages and not desktop.alerts and not notifier.pending


def test_a_dialog_of_the_window_counts_as_being_in_the_app(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    dialog = QDialog(window)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert not notifier.review_ready("Tidal power", 1)
    assert not desktop.messages


def test_a_minimised_window_is_notified(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    window.showMinimized()
    qtbot.waitUntil(window.isMinimized)
    assert notifier.review_ready("Tidal power", 3)
    assert desktop.messages


def test_without_a_tray_the_taskbar_is_asked_for_attention(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=False)
    notifier = ReviewNotifier(window, desktop)
    go_elsewhere(qtbot)
    assert notifier.review_ready("Tidal power", 1)
    assert desktop.alerts == [window] and not desktop.messages


def test_clicking_the_notification_brings_the_window_forward_and_asks_to_open_the_review(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    go_elsewhere(qtbot)
    notifier.review_ready("Tidal power", 2)
    with qtbot.waitSignal(notifier.openRequested, timeout=2_000):
        desktop.clicked.emit()
    qtbot.waitUntil(window.isActiveWindow)
    assert not notifier.pending and desktop.withdrawn


def test_coming_back_after_an_attention_request_asks_to_open_the_review(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=False)
    notifier = ReviewNotifier(window, desktop)
    go_elsewhere(qtbot)
    notifier.review_ready("Tidal power", 2)
    with qtbot.waitSignal(notifier.openRequested, timeout=2_000):
        window.activateWindow()
    assert not notifier.pending


def test_coming_back_by_other_means_takes_the_tray_message_back_quietly(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    desktop = FakeDesktop(tray=True)
    notifier = ReviewNotifier(window, desktop)
    go_elsewhere(qtbot)
    notifier.review_ready("Tidal power", 2)
    with qtbot.assertNotEmitted(notifier.openRequested, wait=100):
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow)
    assert not notifier.pending and desktop.withdrawn


def test_the_system_backend_falls_back_to_an_alert_without_a_tray(qtbot, window: QMainWindow) -> None:  # type: ignore[no-untyped-def]
    """The offscreen test platform has no system tray: the real backend asks for attention."""
    notifier = ReviewNotifier(window)
    assert isinstance(notifier.backend, SystemBackend)
    go_elsewhere(qtbot)
    if notifier.backend.tray_available():
        pytest.skip("this desktop has a system tray")
    assert notifier.review_ready("Tidal power", 1)
    notifier.clear()


# A tray icon on the offscreen platform (which has no tray) complains once; the real one won't.
@pytest.mark.qt_log_ignore("systemTrayWindowChanged")
def test_the_system_backend_shows_its_tray_message_only_while_it_waits(qtbot, window: QMainWindow,  # type: ignore[no-untyped-def]
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    from PySide6.QtWidgets import QSystemTrayIcon

    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    monkeypatch.setattr(QSystemTrayIcon, "showMessage",
                        lambda self, title, message, *rest: shown.append((title, message)))
    notifier = ReviewNotifier(window)
    go_elsewhere(qtbot)
    assert notifier.review_ready("Tidal power", 4)
    assert shown == [("Research round 4 is ready for review", "Tidal power")]
    tray = notifier.backend.findChild(QSystemTrayIcon)
    assert tray is not None and tray.isVisible() and not tray.icon().isNull()
    with qtbot.waitSignal(notifier.openRequested, timeout=2_000):
        tray.messageClicked.emit()
    assert not tray.isVisible()

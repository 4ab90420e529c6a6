"""Dialogs open centred on the main window and wholly on the screen, and Save does not move."""

from __future__ import annotations

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QWidget

from hitl_desktop.core.models import ReviewRequest
from hitl_desktop.core.secret_store import SecretStore
from hitl_desktop.core.settings_service import SettingsService
from hitl_desktop.ui import MainWindow
from hitl_desktop.ui.settings_service import AsyncSettingsService
from hitl_desktop.ui.widgets.review_dialog import ReviewDialog
from hitl_desktop.ui.widgets.settings_dialog import SettingsDialog


def screen_area(widget: QWidget) -> QRect:
    return widget.screen().availableGeometry()


def window_at(qtbot, x: int, y: int, width: int = 700, height: int = 500) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow()
    qtbot.addWidget(window)
    window.resize(width, height)
    window.move(x, y)
    window.show()
    qtbot.waitExposed(window)
    # The state the misplaced dialog was reported in: an error bar showing.
    window.messageBar.show_error("The model server rejected the request (HTTP 400).", "Check the key.")
    return window


def open_settings(qtbot, window: MainWindow) -> SettingsDialog:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: window.findChild(SettingsDialog, "settingsDialog") is None, timeout=5_000)
    window.settingsAction.trigger()
    dialog = window.findChild(SettingsDialog, "settingsDialog")
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(dialog.key_state_known, timeout=5_000)
    qtbot.wait(50)  # let the dialog grow to fit the key's notes
    return dialog


def assert_on_screen(dialog: QWidget) -> None:
    frame, area = dialog.frameGeometry(), screen_area(dialog)
    assert area.contains(frame), f"{frame} is not wholly inside the screen {area}"


@pytest.mark.parametrize("keychain", [True, False], ids=["keychain", "no-keychain"])
def test_settings_opens_centred_on_the_window(qtbot, qloop, keychain: bool) -> None:  # type: ignore[no-untyped-def]
    if not keychain:
        keyring.set_keyring(fail.Keyring())  # the dialog grows once the lookup says so
    window = window_at(qtbot, 50, 120)
    dialog = open_settings(qtbot, window)
    assert_on_screen(dialog)
    offset = dialog.frameGeometry().center() - window.frameGeometry().center()
    assert abs(offset.x()) <= 1, offset
    # Grown downwards after opening, it may sit lower than centred, never off the screen.
    assert -1 <= offset.y() <= dialog.height() // 2, offset
    dialog.reject()


@pytest.mark.parametrize(("x", "y"), [(-400, -300), (-1, -20), (500, 600)],
                         ids=["off-top-left", "title-bar-off", "off-bottom-right"])
def test_settings_stays_on_screen_whatever_the_window_does(qtbot, qloop, x: int, y: int) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())
    window = window_at(qtbot, x, y)
    dialog = open_settings(qtbot, window)
    assert_on_screen(dialog)
    # And a long message that makes it grow keeps it there.
    with qtbot.waitSignal(dialog.saved, timeout=5_000):
        qtbot.mouseClick(dialog.saveButton, Qt.MouseButton.LeftButton)
    dialog = open_settings(qtbot, window)
    dialog._show_result("<b>" + "A long explanation that wraps. " * 30 + "</b>", ok=False)
    assert_on_screen(dialog)
    dialog.reject()


def test_the_review_dialog_opens_centred_and_on_screen(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    window = window_at(qtbot, -300, -200)
    dialog = ReviewDialog(ReviewRequest(1, "tidal power", "## Notes\n\nLa Rance."), window)
    dialog.open()
    qtbot.waitExposed(dialog)
    assert_on_screen(dialog)
    window.move(40, 150)
    dialog.reject()
    other = ReviewDialog(ReviewRequest(2, "tidal power", "More notes."), window)
    other.open()
    qtbot.waitExposed(other)
    assert_on_screen(other)
    offset = other.frameGeometry().center() - window.frameGeometry().center()
    assert abs(offset.x()) <= 1 and abs(offset.y()) <= 1, offset
    other.reject()


def test_choosing_the_key_file_leaves_save_where_it_was(qtbot, qloop) -> None:  # type: ignore[no-untyped-def]
    keyring.set_keyring(fail.Keyring())
    dialog = SettingsDialog(AsyncSettingsService(SettingsService(SecretStore())))
    qtbot.addWidget(dialog)
    dialog.open()
    qtbot.waitExposed(dialog)
    qtbot.waitUntil(lambda: dialog.keyStorageBox.isVisible(), timeout=5_000)
    qtbot.wait(50)
    before = (dialog.saveButton.mapToGlobal(QPoint(0, 0)), dialog.geometry())
    assert dialog.keyFileWarning.isVisible()  # its note is there before it is chosen

    qtbot.mouseClick(dialog.keyFileRadio, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert dialog.keyFileRadio.isChecked()
    assert (dialog.saveButton.mapToGlobal(QPoint(0, 0)), dialog.geometry()) == before
    qtbot.mouseClick(dialog.sessionOnlyRadio, Qt.MouseButton.LeftButton)
    qtbot.wait(50)
    assert (dialog.saveButton.mapToGlobal(QPoint(0, 0)), dialog.geometry()) == before
    dialog.reject()

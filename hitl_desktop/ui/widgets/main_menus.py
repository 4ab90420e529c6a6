"""The main window's commands: its actions, their shortcuts, and the menus that hold them."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtGui import QAction, QKeySequence

from hitl_desktop import APP_NAME
from hitl_desktop.ui.widgets.focus_edit import copy_from, select_all_in, show_about
from hitl_desktop.ui.widgets.report_actions import ReportActions

if TYPE_CHECKING:
    from hitl_desktop.ui.widgets.main_window import MainWindow


def _action(window: MainWindow, text: str, name: str, keys: list[QKeySequence],
            slot: Callable[[], None]) -> QAction:
    action = QAction(text, window, objectName=name)
    action.setShortcuts(keys)
    action.triggered.connect(lambda: slot())  # not Qt's `checked` as a first argument
    return action


def install_menus(window: MainWindow) -> None:
    """The window's actions (as attributes, by the names scripts use) and its menu bar."""
    key = QKeySequence
    window.runAction = _action(window, "&Run Research", "runAction", [key("Ctrl+Return"), key("Ctrl+Enter")],
                               window.run_research)
    window.stopAction = _action(window, "&Stop", "stopAction", [key("Esc")], window.stop_run)
    window.reviewAction = _action(window, "Re&view Research…", "reviewAction", [key("Ctrl+R")], window.open_review)
    window.retryAction = _action(window, "Re&try Failed Step", "retryAction",
                                 [key(key.StandardKey.Refresh)], window.retry_failed_step)
    window.retryAction.setToolTip("Retry the research round or report that failed; the run goes on")
    quit_action = _action(window, "&Quit", "quitAction", [key(key.StandardKey.Quit)], window.close)
    window.settingsAction = _action(window, "Se&ttings…", "settingsAction",
                                    key.keyBindings(key.StandardKey.Preferences) or [key("Ctrl+,")],
                                    window.open_settings)
    window.settingsAction.setMenuRole(QAction.MenuRole.PreferencesRole)
    window.addDocumentsAction = _action(window, "Add &Documents…", "addDocumentsAction", [key("Ctrl+Shift+O")],
                                        lambda: window.sidePanes.add_documents())
    window.copyAction = _action(window, "&Copy", "copyAction", [key(key.StandardKey.Copy)],
                                lambda: copy_from(window.focusWidget()))
    window.selectAllAction = _action(window, "Select &All", "selectAllAction",
                                     [key(key.StandardKey.SelectAll)],
                                     lambda: select_all_in(window.focusWidget()))
    window.reportActions = ReportActions(window, lambda: window.report, window.write_report_files,
                                         lambda error: window.messageBar.show_error(error.message, error.hint))
    window.saveReportAction = window.reportActions.saveReportAction

    file_menu = window.menuBar().addMenu("&File")
    file_menu.addAction(window.addDocumentsAction)
    file_menu.addSeparator()
    file_menu.addActions(window.reportActions.file_actions)
    file_menu.addSeparator()
    file_menu.addAction(window.settingsAction)
    file_menu.addSeparator()
    file_menu.addAction(quit_action)
    edit_menu = window.menuBar().addMenu("&Edit")
    edit_menu.addActions([window.copyAction, window.selectAllAction])
    edit_menu.addSeparator()
    edit_menu.addActions(window.reportActions.edit_actions)
    window.menuBar().addMenu("&Research").addActions(
        [window.runAction, window.stopAction, window.reviewAction, window.retryAction])
    help_menu = window.menuBar().addMenu("&Help")
    help_menu.addAction(_action(window, f"&About {APP_NAME}", "aboutAction", [], lambda: show_about(window)))

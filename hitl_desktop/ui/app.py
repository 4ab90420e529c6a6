"""Application entry point: QApplication, the window's first frame, then the qasync loop.

The first frame comes before asyncio, qasync and the services behind the window (bridge, run
store, run rules) are imported: the window is built from Qt widgets alone and shown, a local Qt
event loop runs until it is on screen (its first Expose), and only then is the rest loaded and
attached (`MainWindow.attach_services`) and the qasync loop started. Until then the commands that
need the services are disabled.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import time
import traceback
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from hitl_desktop import (
    APP_ID,
    APP_NAME,
    ORGANIZATION,
    ORGANIZATION_DOMAIN,
    __version__,
)

if TYPE_CHECKING:  # imported lazily at run time: the window must come up first
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from hitl_desktop.ui import MainWindow
    from hitl_desktop.ui.automation import AutomatedRun
    from hitl_desktop.ui.single_instance import SingleInstance

log = logging.getLogger(__name__)
_STARTED = time.perf_counter()



def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_ID, description=f"{APP_NAME}: human-in-the-loop research.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--topic", help="pre-fill the research topic")
    desktop = parser.add_mutually_exclusive_group()
    desktop.add_argument("--install-desktop-entry", action="store_true",
                         help="add the app to your desktop's launcher (Linux, this user) and exit")
    desktop.add_argument("--uninstall-desktop-entry", action="store_true",
                         help="remove the launcher entry and icons again and exit")
    automation = parser.add_argument_group("automation (scripts and smoke tests; need --topic or "
                                           "--approve-pending)")
    automation.add_argument("--auto-approve", action="store_true",
                            help="run the topic and approve each research round unseen")
    automation.add_argument("--approve-pending", action="store_true",
                            help="go on with the runs that were waiting for review when the app last "
                                 "quit (or was killed), approving each round unseen")
    automation.add_argument("--save-report", metavar="PATH", type=Path,
                            help="save the finished report to PATH (the suffix picks the format)")
    automation.add_argument("--quit-when-done", action="store_true",
                            help="quit after the run; the exit status is 0 only if it succeeded")
    parser.add_argument("--print-startup-time", action="store_true",
                        help="print the milliseconds until the window is shown, then quit")
    parser.add_argument("--check-install", action="store_true",
                        help="check this installation's data files and keychain, then exit")
    parser.add_argument("--print-locale-report", action="store_true",
                        help="print what Qt's collation, encodings and time-zone names answer "
                             "(JSON), then exit")
    # The app run as a second process rendering a long report (core/export/render_process.py).
    parser.add_argument("--render-formats", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_known_args(argv)[0]
    if _is_automated(args) and not (args.topic or "").strip() and not args.approve_pending:
        parser.error("--auto-approve, --save-report and --quit-when-done need --topic or --approve-pending")
    return args


def _render_formats() -> int:
    """Serve as a second process rendering a long report (core/export/render_process.py): with
    the PDF registered, on an offscreen QGuiApplication (no widgets here: QtWidgets is not
    even imported)."""
    from PySide6.QtGui import QGuiApplication

    from hitl_desktop.core.export import render_process
    from hitl_desktop.ui import pdf_export  # noqa: F401 (registers .pdf)

    app = QGuiApplication([sys.argv[0], "-platform", "offscreen"])  # noqa: F841 (fonts need it)
    return render_process.main()


def _is_automated(args: argparse.Namespace) -> bool:
    return bool(args.auto_approve or args.approve_pending or args.save_report or args.quit_when_done)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.install_desktop_entry or args.uninstall_desktop_entry:
        from hitl_desktop.cli import desktop_entry

        return desktop_entry.run_command(remove=args.uninstall_desktop_entry, tell=_tell)
    if args.check_install:
        from hitl_desktop.cli import install_check

        return install_check.main()
    if args.render_formats:
        return _render_formats()
    if args.print_locale_report:
        from hitl_desktop.cli import locale_report

        return locale_report.main()
    from hitl_desktop.core.logging_setup import configure_logging

    try:
        configure_logging()
    except OSError as exc:  # a read-only or full home folder must not stop the app
        _tell(f"Logging to a file is off: {exc}", error=True)
    sys.excepthook = _log_uncaught
    from hitl_desktop.ui import display

    problem = display.display_problem()
    if problem:
        _tell(f"{problem}\n{display.NO_DISPLAY_HINT}", error=True)
        return display.EXIT_NO_DISPLAY
    from PySide6.QtWidgets import QApplication

    display.explain_fatal_platform_errors(lambda text: _tell(text, error=True))
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setDesktopFileName(APP_ID)
    _route_qt_messages_to_logging()
    app.setWindowIcon(_app_icon())
    instance = None
    # Scripted runs and start-up probes are batch jobs: they neither hand over nor take over.
    if not _is_automated(args) and not args.print_startup_time:
        instance = _single_instance()
        if instance is None:
            return 0
    try:
        window = _show_first_frame(args)
        if instance is not None:  # a second launch during the first frame brings it forward too
            instance.activationRequested.connect(lambda: _bring_to_front(window))
        _close_on_early_terminate(window)
        if args.print_startup_time:
            _report_when_exposed(window)
        _wait_until_exposed(window)
        window.set_standard_icons()  # left blank in the first frame: see widgets/button_icons
        from hitl_desktop.ui.module_loader import import_while_responsive

        import_while_responsive(_AFTER_FIRST_FRAME)
        if not window.isVisible():  # closed before the services came: nothing to shut down
            return 0
        import qasync  # with asyncio: after the first frame

        return qasync.run(_run_window(app, window, args))
    finally:
        if instance is not None:
            instance.release()


# What attaching the services and starting the qasync loop import, loaded while the first frame
# shows and answers (module_loader).
_AFTER_FIRST_FRAME = ("qasync", "hitl_desktop.ui.widgets.window_services", "hitl_desktop.ui.crash_handler",
                      "hitl_desktop.ui.event_loop", "hitl_desktop.ui.widgets.sources_panel",
                      "hitl_desktop.ui.widgets.history_panel", "hitl_desktop.ui.widgets.team_queue_panel",
                      "hitl_desktop.core.sources.current")
# Imported with the run's modules once the window is up, not when first used: the Markdown
# rendering the views load with their first text (markdown_it with it: a pause of 50-120 ms as
# the first research streamed in), and the review dialog (30 ms as the first round ended).
_OPENED_DURING_A_RUN = ("hitl_desktop.ui.widgets.markdown_render", "hitl_desktop.ui.widgets.review_dialog")
_FIRST_EXPOSE_WAIT_MS = 1000  # a window minimised or on a hidden desktop may not be exposed at once


def _show_first_frame(args: argparse.Namespace) -> MainWindow:
    """The window built from Qt widgets alone, without its services, and shown."""
    from hitl_desktop.ui.widgets.main_window import MainWindow

    window = MainWindow(attach=False)
    if args.topic:
        window.topicInput.setPlainText(args.topic)
    window.show()
    return window


def _wait_until_exposed(window: MainWindow) -> None:
    """Run Qt's events (no asyncio yet) until the window is on screen, or for a second at most."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    handle = window.windowHandle()
    if handle.isExposed():
        return
    waiting = QEventLoop()

    class FirstExpose(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Expose and handle.isExposed():
                handle.removeEventFilter(self)
                QTimer.singleShot(0, waiting.quit)  # after this event: the frame is painted then
            return False

    handle.installEventFilter(FirstExpose(handle))
    QTimer.singleShot(_FIRST_EXPOSE_WAIT_MS, waiting.quit)
    waiting.exec()


def _single_instance() -> SingleInstance | None:
    """Policy: one window per user. None if a running window took over this launch."""
    from hitl_desktop.core import paths
    from hitl_desktop.ui.single_instance import SingleInstance

    instance = SingleInstance(paths.data_dir())
    if instance.acquire():
        return instance
    if instance.notify_primary():
        _tell(f"{APP_NAME} is already running: its window was brought to the front.")
        return None
    # Its lock is held but it does not answer (hung, or still starting): better two windows
    # than none. Shared files are written atomically, so two instances cannot corrupt them.
    log.warning("Another instance holds the lock but does not answer; starting anyway")
    return instance


async def _run_window(app: QApplication, window: MainWindow, args: argparse.Namespace) -> int:
    import asyncio

    from PySide6.QtCore import QTimer

    from hitl_desktop.core.secret_store import SecretStore
    from hitl_desktop.core.settings import recover_damaged_settings
    from hitl_desktop.core.settings_service import SettingsService
    from hitl_desktop.ui import crash_handler
    from hitl_desktop.ui.event_loop import install_asyncgen_hooks

    install_asyncgen_hooks(asyncio.get_running_loop())
    crash_handler.install(asyncio.get_running_loop())  # from here on, errors get a dialog
    damaged = recover_damaged_settings()  # a damaged file is set aside before anything reads it
    quit_requested = asyncio.Event()
    app.aboutToQuit.connect(quit_requested.set)
    # One owner of the API keys for the whole session: a key kept "for this session only" is
    # seen by Settings, its Test Connection, the setup notice and every run alike.
    window.attach_services(settings=SettingsService(SecretStore()))
    _log_attached()
    _close_on_terminate(window)
    if damaged is not None:
        window.messageBar.show_error(damaged.message, damaged.hint)
    if args.print_startup_time:
        QTimer.singleShot(0, window.close)  # once attached: a probe closes as a person would
    automation = _start_automation(window, args) if _is_automated(args) else None
    preload = window.bridge.preload(also=_OPENED_DURING_A_RUN)
    await quit_requested.wait()
    await window.bridge.shutdown()
    preload.cancel()
    if automation is None:
        return 0
    return automation.exit_code if automation.exit_code is not None else 1


def _log_attached() -> None:
    """How long after start the window's commands became usable (disabled in the first frame)."""
    log.info("Window ready for use %.0f ms after start", (time.perf_counter() - _STARTED) * 1000)


def _start_automation(window: MainWindow, args: argparse.Namespace) -> AutomatedRun:
    from PySide6.QtCore import QTimer

    from hitl_desktop.ui.automation import AutomatedRun

    run = AutomatedRun(window, args.topic, auto_approve=args.auto_approve, approve_pending=args.approve_pending,
                       save_to=args.save_report, quit_when_done=args.quit_when_done)
    QTimer.singleShot(0, run.start)
    return run


def _report_when_exposed(window: MainWindow) -> None:
    """--print-startup-time: print once the window is really on screen (first Expose); the app
    closes the window once its services are attached."""
    from PySide6.QtCore import QEvent, QObject

    class ExposeWatcher(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Expose and watched.isExposed():  # type: ignore[attr-defined]
                watched.removeEventFilter(self)
                _tell(f"startup-time-ms {(time.perf_counter() - _STARTED) * 1000:.0f}")
            return False

    handle = window.windowHandle()
    if handle.isExposed():
        _tell(f"startup-time-ms {(time.perf_counter() - _STARTED) * 1000:.0f}")
        return
    handle.installEventFilter(ExposeWatcher(handle))


def _close_on_early_terminate(window: MainWindow) -> None:
    """SIGTERM before the qasync loop's handler is installed (`_close_on_terminate`, with the
    services) closes the window too, instead of killing the process with the lock still held.
    Python runs the handler when the GUI thread next runs Python code: within the first frame's
    local event loops, at the latest when the services' imports are done."""
    import signal

    with contextlib.suppress(AttributeError, OSError, ValueError):
        signal.signal(signal.SIGTERM, lambda _signal, _frame: window.close())


def _close_on_terminate(window: MainWindow) -> None:
    """SIGTERM (logout, `kill`) closes the window the normal way, so the run stops and the
    single-instance lock and socket are released. Not available on Windows: nothing to do there."""
    import asyncio
    import signal

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, window.close_without_asking)


def _bring_to_front(window: MainWindow) -> None:
    from PySide6.QtCore import Qt

    log.info("A second launch asked for this window")
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
    window.show()
    window.raise_()
    window.activateWindow()


def _app_icon() -> QIcon:
    from PySide6.QtGui import QIcon

    from hitl_desktop.core import resources
    from hitl_desktop.core.errors import UserFacingError

    icon = QIcon()
    try:
        for path in resources.icon_pngs().values():
            icon.addFile(str(path))
    except UserFacingError as error:  # a damaged install still runs, without its icon
        log.warning("No window icon: %s", error)
    return icon


def _tell(text: str, *, error: bool = False) -> None:
    """Print for a terminal user; a windowed Windows build has no console streams."""
    stream = sys.stderr if error else sys.stdout
    if stream is not None:
        print(text, file=stream, flush=True)


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    from hitl_desktop.core.redaction import redact

    log.critical("Uncaught exception:\n%s", redact("".join(traceback.format_exception(kind, exc, tb))))
    sys.stderr.write(redact("".join(traceback.format_exception_only(kind, exc))))


def _route_qt_messages_to_logging() -> None:
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        qt_log.log(levels.get(kind, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)

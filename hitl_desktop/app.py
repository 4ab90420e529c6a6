"""Application entry point: QApplication + qasync loop, window first, heavy imports after."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import traceback
from collections.abc import Sequence
from types import TracebackType

from hitl_desktop import APP_ID, APP_NAME, ORGANIZATION, ORGANIZATION_DOMAIN, __version__

log = logging.getLogger(__name__)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=APP_ID, description=f"{APP_NAME}: human-in-the-loop research.")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument("--topic", help="pre-fill the research topic")
    return parser.parse_known_args(argv)[0]


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    from hitl_desktop.logging_setup import configure_logging

    configure_logging()
    sys.excepthook = _log_uncaught
    import qasync
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName(ORGANIZATION)
    app.setOrganizationDomain(ORGANIZATION_DOMAIN)
    app.setDesktopFileName(APP_ID)
    _route_qt_messages_to_logging()
    return qasync.run(_run_window(app, args))


async def _run_window(app: object, args: argparse.Namespace) -> int:
    from hitl_desktop.ui import MainWindow

    quit_requested = asyncio.Event()
    app.aboutToQuit.connect(quit_requested.set)  # type: ignore[attr-defined]
    window = MainWindow()
    if args.topic:
        window.topicInput.setPlainText(args.topic)
    window.show()
    preload = window.bridge.preload()
    await quit_requested.wait()
    await window.bridge.shutdown()
    preload.cancel()
    return 0


def _log_uncaught(kind: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
    from hitl_desktop.redaction import redact

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

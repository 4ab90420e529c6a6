"""Can Qt open a window here? If not, say why and what to do, instead of letting Qt abort.

Two layers: a check of the environment before Qt starts (no DISPLAY / WAYLAND_DISPLAY), and a
message handler that catches Qt's own fatal platform-plugin error (e.g. a DISPLAY that does not
answer, or missing xcb libraries), explains it and exits cleanly rather than dumping core.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping

from hitl_desktop import APP_NAME

EXIT_NO_DISPLAY = 3
NO_DISPLAY_HINT = (
    "Start it from a desktop session (DISPLAY or WAYLAND_DISPLAY must be set), or set "
    "QT_QPA_PLATFORM=offscreen to run without a screen. If a display is available and this "
    "still happens, Qt's X11 libraries are missing: on Debian/Ubuntu install libxcb-cursor0 "
    "libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0 "
    "libxcb-xinerama0 libxcb-xkb1 libxkbcommon-x11-0 (README, Set up, lists Fedora and Arch too).")
_UNIX_DESKTOPS = ("linux", "freebsd", "openbsd", "netbsd")


def display_problem(env: Mapping[str, str] | None = None, platform: str = sys.platform) -> str:
    """Why Qt cannot open a window here, or "" when it should be able to."""
    env = os.environ if env is None else env
    if not platform.startswith(_UNIX_DESKTOPS):
        return ""  # Windows and macOS always have their window system
    qpa = env.get("QT_QPA_PLATFORM", "").split(":")[0].strip()
    if qpa and qpa not in ("xcb", "wayland", "wayland-egl"):
        return ""  # offscreen, vnc, eglfs…: no display server needed
    has_x11, has_wayland = bool(env.get("DISPLAY")), bool(env.get("WAYLAND_DISPLAY"))
    if (qpa == "xcb" and has_x11) or (qpa.startswith("wayland") and has_wayland):
        return ""
    if not qpa and (has_x11 or has_wayland):
        return ""
    return f"No display is available, so {APP_NAME} cannot open its window."


def explain_fatal_platform_errors(tell: Callable[[str], None]) -> None:
    """Until the QApplication exists, Qt's fatal errors are platform-plugin failures: explain them.

    Install before creating the QApplication; the app replaces this handler once it exists.
    """
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    def handler(kind: QtMsgType, _context: object, message: str) -> None:
        if kind == QtMsgType.QtFatalMsg:
            tell(f"{APP_NAME} cannot open its window: Qt reported\n  {message.strip()}\n"
                 f"{NO_DISPLAY_HINT}")
            logging.shutdown()
            os._exit(EXIT_NO_DISPLAY)  # Qt would abort() right after this handler returns
        if kind != QtMsgType.QtDebugMsg:
            tell(message)

    qInstallMessageHandler(handler)

"""Install or remove the freedesktop launcher entry (.desktop file + icons) for the current user.

Files go under $XDG_DATA_HOME (default ~/.local/share), where every Linux desktop's launcher looks:
    applications/hitl-desktop.desktop
    icons/hicolor/<N>x<N>/apps/hitl-desktop.png, icons/hicolor/scalable/apps/hitl-desktop.svg
The entry's Exec= is the command that started this process (the frozen executable, the installed
`hitl-desktop` script, or `python -m hitl_desktop`), so the launcher starts this same install.
Qt-free; every write is atomic.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from hitl_desktop import APP_ID, APP_NAME
from hitl_desktop.core import resources
from hitl_desktop.core.atomic_file import atomic_write_bytes, atomic_write_text
from hitl_desktop.core.errors import ErrorKind, UserFacingError

# Characters that force an Exec= argument into double quotes (Desktop Entry spec, "Exec key").
_RESERVED = set(" \t\n\"'\\><~|&;$*?#()`")


def data_home(env: dict[str, str] | None = None) -> Path:
    """$XDG_DATA_HOME if it is set to an absolute path (as the spec requires), else ~/.local/share."""
    env = os.environ if env is None else env
    value = env.get("XDG_DATA_HOME", "")
    if value and os.path.isabs(value):
        return Path(value)
    return Path(env.get("HOME") or Path.home()) / ".local" / "share"


def entry_path(base: Path | None = None) -> Path:
    return (base or data_home()) / "applications" / f"{APP_ID}.desktop"


def icon_paths(base: Path | None = None) -> dict[str, Path]:
    """Target path per icon: keys are '<N>' for PNG sizes and 'scalable' for the SVG."""
    hicolor = (base or data_home()) / "icons" / "hicolor"
    targets = {str(size): hicolor / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
               for size in resources.ICON_SIZES}
    targets["scalable"] = hicolor / "scalable" / "apps" / f"{APP_ID}.svg"
    return targets


def launch_command() -> list[str]:
    """The command that starts this install of the app."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    script = Path(sys.executable).parent / APP_ID  # a venv's or prefix's bin/hitl-desktop
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script)]
    found = shutil.which(APP_ID)
    if found:
        return [found]
    return [sys.executable, "-m", "hitl_desktop"]


def exec_value(command: list[str]) -> str:
    """`command` as an Exec= value: quoted per the Desktop Entry spec, then escaped for the file."""
    parts = []
    for arg in command:
        if any(char in _RESERVED for char in arg):
            arg = '"' + "".join("\\" + c if c in '"`$\\' else c for c in arg) + '"'
        parts.append(arg.replace("%", "%%"))
    return _escape_string(" ".join(parts))


def render_entry(template: str, command: list[str]) -> str:
    lines = []
    for line in template.splitlines():
        if line.startswith("Exec="):
            line = "Exec=" + exec_value(command)
        elif line.startswith("TryExec="):
            line = "TryExec=" + _escape_string(command[0])
        lines.append(line)
    return "\n".join(lines) + "\n"


def install(base: Path | None = None, command: list[str] | None = None) -> list[Path]:
    """Write the entry and icons; return the files written. UserFacingError if that is impossible."""
    _require_linux()
    base = base or data_home()
    template = resources.desktop_entry_template()
    icons = resources.icon_pngs()
    svg = resources.icon_svg()
    if not template.is_file() or not icons or not svg.is_file():
        raise UserFacingError("The desktop entry or icon files are missing from this installation.",
                              "Reinstall HITL Desktop.", ErrorKind.IO)
    sources = {str(size): path for size, path in icons.items()}
    sources["scalable"] = svg
    written: list[Path] = []
    try:
        for key, target in icon_paths(base).items():
            if key in sources:
                target.parent.mkdir(parents=True, exist_ok=True)
                atomic_write_bytes(target, sources[key].read_bytes())
                written.append(target)
        entry = entry_path(base)
        entry.parent.mkdir(parents=True, exist_ok=True)
        text = render_entry(template.read_text(encoding="utf-8"), command or launch_command())
        atomic_write_text(entry, text)
        written.append(entry)
    except OSError as exc:
        raise _write_error(base, exc) from exc
    _refresh_caches(base)
    return written


def uninstall(base: Path | None = None) -> list[Path]:
    """Remove the entry and icons this module installs; return the files removed."""
    _require_linux()
    base = base or data_home()
    removed: list[Path] = []
    try:
        for target in (entry_path(base), *icon_paths(base).values()):
            if target.is_file() or target.is_symlink():
                target.unlink()
                removed.append(target)
    except OSError as exc:
        raise _write_error(base, exc) from exc
    _refresh_caches(base)
    return removed


def run_command(*, remove: bool, tell: Callable[..., None]) -> int:
    """--install-desktop-entry / --uninstall-desktop-entry: do it, say what happened, exit status."""
    try:
        if not remove:
            files = install()
            tell(f"Installed the desktop entry {entry_path()} and {len(files) - 1} icons. "
                 f"{APP_NAME} now appears in your desktop's application launcher.")
        else:
            files = uninstall()
            tell(f"Removed {len(files)} files." if files else "No desktop entry was installed.")
    except UserFacingError as error:
        tell(f"{error.message}\n{error.hint}".strip(), error=True)
        return 1
    return 0


def _escape_string(value: str) -> str:
    """Escapes of the desktop file's string type (applied after Exec quoting, per the spec)."""
    return (value.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")
            .replace("\r", "\\r"))


def _require_linux() -> None:
    if not sys.platform.startswith(("linux", "freebsd", "openbsd", "netbsd")):
        raise UserFacingError(
            "Desktop entries are for Linux and other freedesktop.org desktops.",
            "On Windows pin the app to Start from its folder; on macOS drag the .app into "
            "Applications.", ErrorKind.BAD_INPUT)


def _write_error(base: Path, exc: OSError) -> UserFacingError:
    reason = exc.strerror or type(exc).__name__
    return UserFacingError(f"Could not update the desktop entry in {base}: {reason}.",
                           "Check that the folder is writable (XDG_DATA_HOME selects it).",
                           ErrorKind.IO)


def _refresh_caches(base: Path) -> None:
    """Tell launchers that cache entries about the change. Optional: launchers also rescan."""
    tool = shutil.which("update-desktop-database")
    applications = base / "applications"
    if tool and applications.is_dir():
        try:
            subprocess.run([tool, "-q", str(applications)], check=False, timeout=10,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except (OSError, subprocess.SubprocessError):
            pass

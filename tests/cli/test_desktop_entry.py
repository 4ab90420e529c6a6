"""The freedesktop launcher entry: where it goes, what Exec= says, and clean removal."""

from __future__ import annotations

import configparser
import os
import sys
from pathlib import Path

import pytest

from hitl_desktop import APP_ID
from hitl_desktop.cli import desktop_entry
from hitl_desktop.core import resources
from hitl_desktop.core.errors import ErrorKind, UserFacingError


def read_entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # keys are case-sensitive in desktop files
    parser.read_string(path.read_text(encoding="utf-8"))
    return dict(parser["Desktop Entry"])


def unquote_exec(value: str) -> list[str]:
    """Undo the file-level and then the Exec-level escaping, as the Desktop Entry spec defines."""
    text = value.replace("\\\\", "\\").replace("%%", "%")
    args: list[str] = []
    current, quoted, i, started = "", False, 0, False
    while i < len(text):
        char = text[i]
        if quoted and char == "\\" and text[i + 1] in '"`$\\':
            current, i = current + text[i + 1], i + 2
            continue
        if char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if started or current:
                args.append(current)
            current, started = "", False
        else:
            current += char
        i += 1
    if started or current:
        args.append(current)
    return args


def test_data_home_honours_xdg_data_home_and_falls_back_to_local_share(tmp_path: Path) -> None:
    assert desktop_entry.data_home({"XDG_DATA_HOME": str(tmp_path), "HOME": "/h"}) == tmp_path
    assert desktop_entry.data_home({"HOME": "/h"}) == Path("/h/.local/share")
    # The spec says relative values are invalid and must be ignored.
    assert desktop_entry.data_home({"XDG_DATA_HOME": "rel/dir", "HOME": "/h"}) == Path("/h/.local/share")


def test_install_writes_entry_and_every_icon_size(isolated_home: Path) -> None:
    base = isolated_home / ".local" / "share"  # XDG_DATA_HOME from the isolated_home fixture
    command = ["/opt/HITL Desktop/hitl-desktop"]
    written = desktop_entry.install(command=command)

    entry = base / "applications" / f"{APP_ID}.desktop"
    assert entry in written and entry.is_file()
    fields = read_entry(entry)
    assert fields["Type"] == "Application" and fields["Name"] == "HITL Desktop"
    assert fields["Icon"] == APP_ID and fields["Terminal"] == "false"
    assert unquote_exec(fields["Exec"]) == command
    assert fields["TryExec"] == command[0]
    for size in resources.ICON_SIZES:
        png = base / "icons" / "hicolor" / f"{size}x{size}" / "apps" / f"{APP_ID}.png"
        assert png.read_bytes() == resources.icon_png(size).read_bytes()
    svg = base / "icons" / "hicolor" / "scalable" / "apps" / f"{APP_ID}.svg"
    assert svg.read_bytes() == resources.icon_svg().read_bytes()


@pytest.mark.parametrize("command", [
    ["/usr/bin/hitl-desktop"],
    ["/home/me/My Apps/HITL Desktop/hitl-desktop"],
    ["/tmp/odd $dir/with \"quotes\" and `ticks`/100% done\\x/hitl-desktop"],
    ["/usr/bin/python3", "-m", "hitl_desktop"],
])
def test_exec_value_round_trips_through_launcher_unquoting(command: list[str]) -> None:
    value = desktop_entry.exec_value(command)
    assert unquote_exec(value) == command
    assert "%" not in value.replace("%%", "")  # a lone % would be a field code


def test_install_twice_is_harmless_and_uninstall_removes_only_our_files(isolated_home: Path) -> None:
    base = isolated_home / ".local" / "share"
    desktop_entry.install(command=["/usr/bin/hitl-desktop"])
    written = desktop_entry.install(command=["/usr/bin/hitl-desktop"])
    other = base / "applications" / "someone-else.desktop"
    other.write_text("[Desktop Entry]\nType=Application\nName=Other\nExec=other\n", encoding="utf-8")

    removed = desktop_entry.uninstall()
    assert sorted(removed) == sorted(written)
    assert not any(path.exists() for path in written)
    assert other.is_file()
    assert desktop_entry.uninstall() == []  # nothing left to remove is not an error


def test_launch_command_from_a_source_install_starts_this_interpreter_or_script() -> None:
    command = desktop_entry.launch_command()
    assert Path(command[0]).is_file() and os.access(command[0], os.X_OK)
    if len(command) > 1:
        assert command[1:] == ["-m", "hitl_desktop"]


def test_unwritable_data_home_gives_a_clear_error(isolated_home: Path) -> None:
    blocker = isolated_home / "not-a-folder"
    blocker.write_text("a file where the data folder should be", encoding="utf-8")
    with pytest.raises(UserFacingError) as raised:
        desktop_entry.install(base=blocker, command=["/usr/bin/hitl-desktop"])
    assert raised.value.kind is ErrorKind.IO
    assert str(blocker) in raised.value.message and "writable" in raised.value.hint


def test_other_platforms_are_told_what_to_do_instead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "win32")
    with pytest.raises(UserFacingError) as raised:
        desktop_entry.install()
    assert "Linux" in raised.value.message and "Start" in raised.value.hint


def test_damaged_install_without_resources_says_reinstall(monkeypatch: pytest.MonkeyPatch,
                                                          tmp_path: Path) -> None:
    monkeypatch.setattr(resources, "_CANDIDATES", (tmp_path / "gone",))
    with pytest.raises(UserFacingError) as raised:
        desktop_entry.install(command=["/usr/bin/hitl-desktop"])
    assert "reinstall" in raised.value.hint.lower()


def test_installed_entry_passes_desktop_file_validate(isolated_home: Path) -> None:
    import shutil
    import subprocess

    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.skip("desktop-file-validate is not installed (Debian/Ubuntu: desktop-file-utils)")
    desktop_entry.install(command=["/opt/HITL Desktop/hitl-desktop"])
    result = subprocess.run([validator, str(desktop_entry.entry_path())], capture_output=True, check=False,
                            text=True, timeout=30)
    assert result.returncode == 0 and "error" not in result.stdout, result.stdout

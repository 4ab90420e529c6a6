"""Pillow's `_imaging` pointed at the host's libxcb (tools/bundle/pillow_xcb.py), on copies of
the installed Pillow's files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import PIL
import pytest

from bundle.host_libraries import needed_libraries
from bundle.pillow_xcb import PillowXcbError, use_host_xcb

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ELF: Linux only")
INSTALLED = Path(PIL.__file__).parent


def bundle_like(tmp_path: Path) -> Path:
    """An `_internal` folder holding Pillow's `_imaging` and `pillow.libs` as the bundle does."""
    internal = tmp_path / "_internal"
    (internal / "PIL").mkdir(parents=True)
    for imaging in INSTALLED.glob("_imaging.*so"):
        shutil.copy2(imaging, internal / "PIL")
    shutil.copytree(INSTALLED.parent / "pillow.libs", internal / "pillow.libs")
    for library in (internal / "pillow.libs").iterdir():  # as PyInstaller links them
        (internal / library.name).symlink_to(Path("pillow.libs") / library.name)
    return internal


def test_imaging_needs_the_host_libxcb_and_the_copies_go(tmp_path: Path) -> None:
    internal = bundle_like(tmp_path)
    (imaging,) = (internal / "PIL").glob("_imaging.*so")
    before = needed_libraries(imaging)
    saved = use_host_xcb(internal)
    after = needed_libraries(imaging)
    assert saved > 1_000_000
    assert [name for name in before if not name.startswith("libxcb-")] == \
        [name for name in after if name != "libxcb.so.1"]  # the others untouched, in order
    assert after.count("libxcb.so.1") == 1 and len(after) == len(before)
    assert not list((internal / "pillow.libs").glob("libxcb-*")) and not list((internal / "pillow.libs").glob("libXau-*"))
    assert not list(internal.glob("libxcb-*")) and not list(internal.glob("libXau-*"))  # no dangling links
    assert list(internal.glob("libtiff-*")) and list((internal / "pillow.libs").glob("libtiff-*"))  # kept
    # It loads, finding its other libraries beside it and libxcb where the system keeps it.
    loaded = subprocess.run([sys.executable, "-c", f"import ctypes; ctypes.CDLL({str(imaging)!r})"],
                            capture_output=True, text=True, check=False)
    assert loaded.returncode == 0, loaded.stderr


def test_another_user_of_the_copies_leaves_everything_as_it_was(tmp_path: Path) -> None:
    internal = bundle_like(tmp_path)
    (own_xcb,) = (internal / "pillow.libs").glob("libxcb-*")
    (imaging,) = (internal / "PIL").glob("_imaging.*so")
    shutil.copy2(imaging, internal / "PIL" / "_other.cpython-311-x86_64-linux-gnu.so")
    data = imaging.read_bytes()
    with pytest.raises(PillowXcbError):
        use_host_xcb(internal)
    assert imaging.read_bytes() == data and own_xcb.exists()

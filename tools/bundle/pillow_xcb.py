"""Let Pillow use the host's libxcb in the Linux bundle, as Qt does, instead of its own copy.

Pillow's wheel carries its own libxcb and libXau in `pillow.libs/` (for ImageGrab on X11, which
this app never calls), renamed with a hash by auditwheel: `libxcb-<hash>.so.1.1.0`. Its libXau
copy is 2.1 MB, almost all of it a gap that patchelf left between two 2 MB-aligned segments.
The bundle already relies on the host's `libxcb.so.1` (PyInstaller never bundles libxcb, and the
bundled libX11 that QtGui loads needs it), so `_imaging` can name that instead: its DT_NEEDED
string is rewritten in place to `libxcb.so.1` (shorter, so it fits where the old name was, and
the rest of the old name stays behind the terminating NUL), and the two copies, which nothing
else needs, are removed (with PyInstaller's links to them). No symbol version names libxcb (the library has none), so no other
header refers to the file name. Nothing is relinked; the loader then finds `libxcb.so.1` as it
finds it for libX11.

The rewrite checks what it relies on and, when a Pillow release looks different, changes
nothing and says why: the build goes on with Pillow's own copies.
"""

from __future__ import annotations

import re
from pathlib import Path

from elftools.elf.elffile import ELFFile

HOST_XCB = b"libxcb.so.1"
_OWN_XCB = re.compile(r"^libxcb-[0-9a-f]+\.so\.1(\.\d+)*$")
_OWN_XAU = re.compile(r"^libXau-[0-9a-f]+\.so\.6(\.\d+)*$")


class PillowXcbError(Exception):
    """The file is not laid out as this module expects; nothing was changed."""


def _needed_string_offset(imaging: Path, name: str) -> int:
    """File offset of the DT_NEEDED string `name` in `imaging`, after checking that no other
    dynamic-string reference points into it (string tables may share tails)."""
    with imaging.open("rb") as stream:
        elf = ELFFile(stream)
        dynamic = elf.get_section_by_name(".dynamic")
        dynstr = elf.get_section_by_name(".dynstr")
        if dynamic is None or dynstr is None:
            raise PillowXcbError("no dynamic section")
        needed = [tag for tag in dynamic.iter_tags("DT_NEEDED") if tag.needed == name]
        if len(needed) != 1:
            raise PillowXcbError(f"{name} is not needed once")
        start = needed[0].entry.d_val
        end = start + len(name)
        references = [tag.entry.d_val for tag in dynamic.iter_tags()
                      if tag.entry.d_tag in ("DT_NEEDED", "DT_SONAME", "DT_RPATH", "DT_RUNPATH")]
        symbols = elf.get_section_by_name(".dynsym")
        references += [symbol.entry.st_name for symbol in symbols.iter_symbols()] if symbols else []
        versions = elf.get_section_by_name(".gnu.version_r")
        if versions is not None:
            for version, auxiliaries in versions.iter_versions():
                references.append(version.entry.vn_file)
                references += [aux.entry.vna_name for aux in auxiliaries]
        if sum(start <= offset < end for offset in references) != 1:
            raise PillowXcbError(f"another name shares the bytes of {name}")
        return dynstr["sh_offset"] + start


def use_host_xcb(internal: Path) -> int:
    """Point Pillow's `_imaging` in the bundle folder `internal` at the host's libxcb and remove
    Pillow's libxcb and libXau copies; return the bytes saved. Raises PillowXcbError (having
    changed nothing) if the layout is not the expected one."""
    libs = internal / "pillow.libs"
    own_xcb = [path for path in libs.glob("libxcb-*") if _OWN_XCB.match(path.name)]
    own_xau = [path for path in libs.glob("libXau-*") if _OWN_XAU.match(path.name)]
    imaging = list((internal / "PIL").glob("_imaging.*so"))
    if len(own_xcb) != 1 or len(own_xau) > 1 or len(imaging) != 1:
        raise PillowXcbError("Pillow's libxcb copy or _imaging was not found once")
    copies = [*own_xcb, *own_xau]
    for path in internal.rglob("*.so*"):  # only _imaging may need the xcb copy, only that the Xau one
        if path.is_file() and not path.is_symlink() and path not in (imaging[0], *copies):
            data = path.read_bytes()
            if any(copy.name.encode() in data for copy in copies):
                raise PillowXcbError(f"{path.name} needs Pillow's libxcb or libXau too")
    offset = _needed_string_offset(imaging[0], own_xcb[0].name)
    with imaging[0].open("r+b") as stream:
        stream.seek(offset)
        stream.write(HOST_XCB + b"\0")
    saved = sum(path.stat().st_size for path in copies)
    for path in copies:
        path.unlink()
    for link in internal.iterdir():  # PyInstaller's links to them at the top of the bundle
        if link.is_symlink() and link.name in {copy.name for copy in copies}:
            link.unlink()
    return saved

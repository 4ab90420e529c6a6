"""Which libraries the Linux bundle leaves to the host, and the DT_NEEDED reading it rests on."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import PySide6
import pytest
from elftools.common.exceptions import ELFError

from bundle.host_libraries import host_stack_libraries, needed_libraries

QT_LIB = Path(PySide6.__file__).parent / "Qt" / "lib"
GTK_THEME = "PySide6/Qt/plugins/platformthemes/libqgtk3.so"
CUPS_PRINT = "PySide6/Qt/plugins/printsupport/libcupsprintersupport.so"


def test_libraries_only_the_plugins_need_are_left_to_the_host_through_chains() -> None:
    needs = {
        GTK_THEME: ["libgtk-3.so.0", "libQt6Gui.so.6", "libharfbuzz.so.0"],
        CUPS_PRINT: ["libcups.so.2", "libQt6Gui.so.6"],
        "libgtk-3.so.0": ["libcairo.so.2", "libgio-2.0.so.0", "libharfbuzz.so.0"],
        "libcairo.so.2": ["libpixman-1.so.0", "libfreetype.so.6"],
        "libpixman-1.so.0": [],
        "libcups.so.2": ["libgnutls.so.30", "libgssapi_krb5.so.2"],
        "libgnutls.so.30": [],
        "PySide6/Qt/lib/libQt6Gui.so.6": ["libfreetype.so.6", "libglib-2.0.so.0"],
        "PySide6/Qt/lib/libQt6Network.so.6": ["libgssapi_krb5.so.2"],
        "libfreetype.so.6": ["libharfbuzz.so.0"],  # as on Fedora: QtGui's FreeType needs HarfBuzz
        "libharfbuzz.so.0": [],
        "libgssapi_krb5.so.2": [],
        "libgio-2.0.so.0": ["libglib-2.0.so.0", "libmount.so.1"],
        "libmount.so.1": [],
        "libglib-2.0.so.0": [],
        "libffi.so.8": [],  # needed by nothing in the graph (Python's ctypes loads it): stays
    }
    assert host_stack_libraries(needs) == {"libgtk-3.so.0", "libcairo.so.2", "libpixman-1.so.0",
                                           "libcups.so.2", "libgnutls.so.30"}


def test_with_neither_plugin_nothing_is_left_out() -> None:
    needs = {"PySide6/Qt/lib/libQt6Gui.so.6": ["libfreetype.so.6"], "libfreetype.so.6": []}
    assert host_stack_libraries(needs) == set()


@pytest.mark.skipif(not QT_LIB.is_dir() or shutil.which("readelf") is None,
                    reason="needs PySide6's Linux libraries and binutils' readelf to compare with")
@pytest.mark.parametrize("library", ["libQt6Core.so.6", "libQt6Gui.so.6", "libicudata.so.73"])
def test_needed_libraries_match_readelf(library: str) -> None:
    path = QT_LIB / library
    dynamic = subprocess.run(["readelf", "-d", str(path)], capture_output=True, text=True, check=True).stdout
    assert needed_libraries(path) == re.findall(r"\(NEEDED\)\s+Shared library: \[(.+?)\]", dynamic)


def test_a_file_that_is_not_elf_is_refused(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("#!/bin/sh\n", encoding="utf-8")
    with pytest.raises(ELFError):
        needed_libraries(script)

"""The bundle's trimmed ICU data library: a faithful repackaging that Qt answers the same from.

Works on the ICU data library of the PySide6 the tests run with. The frozen bundle's own report
is compared in test_packaging.py; here a copy of PySide6 whose only difference is the trimmed
library shows the same, without building a bundle.
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import PySide6
import pytest

from bundle import icu as bundle_icu
from hitl_desktop.cli import locale_report

ICU_DATA = next(Path(PySide6.__file__).parent.glob("Qt/lib/libicudata.so.*"), None)

pytestmark = [
    pytest.mark.skipif(ICU_DATA is None, reason="this PySide6 has no ICU data library (not Linux)"),
]


@pytest.fixture(scope="module")
def package() -> bytes:
    return bundle_icu.data_symbol(ICU_DATA.read_bytes())[1]


def test_reading_and_writing_a_package_gives_back_the_same_bytes(package: bytes) -> None:
    header, items = bundle_icu.read_package(package)
    assert len(items) > 1000 and all(name.count("/") >= 1 for name, _ in items)
    assert bundle_icu.write_package(header, items) == package


def test_trimmed_package_keeps_every_language_of_what_qt_reads(package: bytes) -> None:
    _header, items = bundle_icu.read_package(package)
    _header, kept = bundle_icu.read_package(bundle_icu.trimmed_package(package))
    original = dict(items)
    assert all(original[name] == item for name, item in kept)  # unchanged, only fewer
    names = [name for name, _ in kept]
    assert names == sorted(names)  # ICU looks items up by binary search
    trees = {name.split("/")[1] for name in names if name.count("/") == 2}
    assert {"coll", "zone"} <= trees and not trees & set(bundle_icu.UNUSED_TREES)
    for kind in ("coll/", "zone/", ".cnv"):
        assert sum(kind in name for name in names) == sum(kind in name for name in original)
    dropped = set(original) - set(names)
    assert all(bundle_icu.is_unused(name) for name in dropped)
    assert sum(len(original[name]) for name in dropped) > len(package) / 3


@pytest.mark.parametrize(("name", "unused"), [
    ("icudt73l/brkitr/thaidict.dict", True), ("icudt73l/translit/root.res", True),
    ("icudt73l/lang/de.res", True), ("icudt73l/unames.icu", True), ("icudt73l/rfc3491.spp", True),
    ("icudt73l/coll/sv.res", False), ("icudt73l/zone/de.res", False), ("icudt73l/de.res", False),
    ("icudt73l/cnvalias.icu", False), ("icudt73l/ibm-943_P15A-2003.cnv", False),
    ("icudt73l/unitsX.res", False), ("icudt73l/root.res", False),
])
def test_which_items_are_unused(name: str, unused: bool) -> None:
    assert bundle_icu.is_unused(name) is unused


def test_other_files_are_refused_with_a_reason(tmp_path: Path) -> None:
    with pytest.raises(bundle_icu.IcuTrimError, match="ELF"):
        bundle_icu.data_symbol(b"MZ\x90\x00" + bytes(100))
    with pytest.raises(bundle_icu.IcuTrimError, match="common data"):
        bundle_icu.read_package(bytes(64))
    other_library = Path(PySide6.__file__).parent / "Qt" / "lib" / "libQt6Core.so.6"
    with pytest.raises(bundle_icu.IcuTrimError, match="icudtNN_dat"):
        bundle_icu.data_symbol(other_library.read_bytes())


def test_trimmed_library_loads_and_exports_the_trimmed_package(tmp_path: Path, package: bytes) -> None:
    library = tmp_path / ICU_DATA.name
    shutil.copyfile(ICU_DATA, library)
    before, after = bundle_icu.trim_library(library)
    assert before == ICU_DATA.stat().st_size and after == library.stat().st_size < before / 1.8
    symbol, exported = bundle_icu.data_symbol(library.read_bytes())
    assert exported == bundle_icu.trimmed_package(package)
    loaded = ctypes.CDLL(str(library))
    address = ctypes.addressof(ctypes.c_char.in_dll(loaded, symbol))
    assert ctypes.string_at(address, len(exported)) == exported


@pytest.mark.skipif(shutil.which("readelf") is None, reason="needs binutils' readelf")
def test_binutils_reads_the_trimmed_library_without_complaint(tmp_path: Path, package: bytes) -> None:
    library = tmp_path / ICU_DATA.name
    shutil.copyfile(ICU_DATA, library)
    bundle_icu.trim_library(library)
    result = subprocess.run(["readelf", "--wide", "--all", str(library)], capture_output=True,
                            text=True, check=True)
    assert result.stderr == "" and "Warning" not in result.stdout
    size = f"{len(bundle_icu.trimmed_package(package)):x}"
    assert re.search(rf"\.rodata +PROGBITS +\S+ +\S+ +0*{size} ", result.stdout)
    assert re.search(rf" 0x{size} +OBJECT +GLOBAL +DEFAULT +\d+ icudt\d+_dat", result.stdout)
    assert f"(SONAME)             Library soname: [{ICU_DATA.name}]" in result.stdout


def _pyside_with_trimmed_icu(root: Path) -> Path:
    """A copy of PySide6 made of links to the installed files, but for a trimmed ICU data
    library: QtCore finds its libraries beside itself ($ORIGIN), so it loads the trimmed one."""
    source = Path(PySide6.__file__).parent
    for folder, _dirs, files in os.walk(source):
        target = root / "PySide6" / Path(folder).relative_to(source)
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            (target / name).symlink_to(Path(folder, name))
    trimmed = root / "PySide6" / ICU_DATA.relative_to(source)
    trimmed.unlink()
    shutil.copyfile(ICU_DATA, trimmed)
    bundle_icu.trim_library(trimmed)
    return root


def test_qt_answers_the_same_from_the_trimmed_library(tmp_path: Path) -> None:
    site = _pyside_with_trimmed_icu(tmp_path)
    script = ("import json; from hitl_desktop.cli import locale_report; answers = locale_report.report(); "
              "print(next(line.split()[-1] for line in open('/proc/self/maps') if 'libicudata' in line)); "
              "print(json.dumps(answers))")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(site), *sys.path]))
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    loaded, answers = result.stdout.splitlines()
    assert loaded == str(site / "PySide6" / ICU_DATA.relative_to(Path(PySide6.__file__).parent))
    assert json.loads(answers) == json.loads(json.dumps(locale_report.report()))

"""Shrink Qt's ICU data library for the Linux bundle (32 MB -> about 16 MB), at build time.

PySide6's Linux wheels link QtCore against ICU, whose data library `libicudata.so.NN` carries
all of Unicode's locale data. Qt reads only part of it: collation (QCollator), converter tables
(QStringDecoder), time-zone names (QTimeZone::displayName) and the locale tables those fall back
through. Formatting data it takes from its own CLDR tables, and it has its own code for text
boundaries and IDNA. So the bundle keeps every language of what Qt reads and drops the
services it never calls: break-iterator dictionaries, transliteration, spelled-out numbers,
the display names of languages, regions, currencies and units, Unicode character names,
confusables and StringPrep profiles. `hitl-desktop --print-locale-report` shows what Qt answers;
the packaging tests compare it between the bundle and a full install.

The data is an ICU "common data" package: a header, a table of contents sorted by item name,
then the items, each 16-byte aligned. It sits in the library under the symbol `icudtNN_dat`,
so a smaller library is that symbol in a new shared object (built with the C compiler's
assembler; nothing else links against the library's layout).
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from . import elf

# Folders of the package (the part after "icudtNNl/") and single items Qt never reads.
UNUSED_TREES = ("brkitr", "translit", "rbnf", "lang", "region", "curr", "unit")
UNUSED_ITEMS = ("unames.icu", "confusables.cfu", "uts46.nrm", "units.res",
                "currencyNumericCodes.res", "genderList.res", "grammaticalFeatures.res")
UNUSED_SUFFIXES = (".spp",)  # StringPrep profiles (IDNA2003, LDAP, XMPP, iSCSI)

_ALIGNMENT = 16
_PADDING = b"\xaa"  # what ICU's own packager pads with
_DATA_SYMBOL = re.compile(r"^icudt\d+_dat$")


class IcuTrimError(Exception):
    """The library is not the ICU data library this module understands."""


def is_unused(item_name: str) -> bool:
    """True for a package item (e.g. "icudt73l/brkitr/thaidict.dict") that Qt never reads."""
    _package, _, path = item_name.partition("/")
    tree, _, _rest = path.partition("/")
    return (tree in UNUSED_TREES and path != tree) or path in UNUSED_ITEMS \
        or path.endswith(UNUSED_SUFFIXES)


def read_package(data: bytes) -> tuple[bytes, list[tuple[str, bytes]]]:
    """Split a common-data package into its header and its (name, item bytes) in TOC order."""
    header_size, magic1, magic2 = struct.unpack_from("<HBB", data, 0)
    if (magic1, magic2) != (0xDA, 0x27) or data[12:16] != b"CmnD" or data[8] != 0:
        raise IcuTrimError("not a little-endian ICU common data package")
    count = struct.unpack_from("<I", data, header_size)[0]
    entries = [struct.unpack_from("<II", data, header_size + 4 + 8 * index) for index in range(count)]
    ends = [offset for _name, offset in entries[1:]] + [len(data) - header_size]
    # Each item's size is the distance to the next: ICU's packager lays them out in TOC order.
    if any(end <= offset for (_name, offset), end in zip(entries, ends, strict=True)):
        raise IcuTrimError("items out of table-of-contents order: not a package this can rewrite")
    items = []
    for (name_offset, data_offset), end in zip(entries, ends, strict=True):
        name_start = header_size + name_offset
        name = data[name_start:data.index(b"\0", name_start)].decode("ascii")
        items.append((name, data[header_size + data_offset:header_size + end]))
    return data[:header_size], items


def write_package(header: bytes, items: Iterable[tuple[str, bytes]]) -> bytes:
    """A common-data package of `items`, which must stay sorted by name (ICU binary-searches)."""
    items = list(items)
    toc_size = 4 + 8 * len(items)
    names = b"".join(name.encode("ascii") + b"\0" for name, _ in items)
    first_item = _aligned(len(header) + toc_size + len(names)) - len(header)
    entries, name_offset, data_offset = [], toc_size, first_item
    for name, item in items:
        entries.append(struct.pack("<II", name_offset, data_offset))
        name_offset += len(name) + 1
        data_offset += _aligned(len(item))
    body = bytearray(header + struct.pack("<I", len(items)) + b"".join(entries) + names)
    body += _PADDING * (len(header) + first_item - len(body))
    for _name, item in items:
        body += item + _PADDING * (_aligned(len(item)) - len(item))
    return bytes(body)


def _aligned(size: int) -> int:
    return (size + _ALIGNMENT - 1) // _ALIGNMENT * _ALIGNMENT


def trimmed_package(data: bytes) -> bytes:
    header, items = read_package(data)
    return write_package(header, [(name, item) for name, item in items if not is_unused(name)])


def data_symbol(library: bytes) -> tuple[str, bytes]:
    """The name and bytes of the ICU data symbol (icudtNN_dat) in an ELF shared library."""
    try:
        symbols = elf.defined_symbols(library)
    except elf.ElfError as exc:
        raise IcuTrimError(str(exc)) from None
    for name, data in symbols.items():
        if _DATA_SYMBOL.match(name):
            return name, data
    raise IcuTrimError("no icudtNN_dat symbol: not ICU's data library")


def shared_object_source(symbol: str, data_file: Path) -> str:
    """GNU assembler source for a library exporting `symbol` with `data_file`'s bytes."""
    return (f'    .section .rodata\n    .globl {symbol}\n    .type {symbol}, @object\n'
            f'    .balign {_ALIGNMENT}\n{symbol}:\n    .incbin "{data_file}"\n'
            f'    .size {symbol}, . - {symbol}\n    .section .note.GNU-stack,"",@progbits\n')


def trim_library(library: Path, compiler: str = "cc") -> tuple[int, int]:
    """Replace `library` (libicudata.so.NN) by one holding only what Qt reads.

    Returns the sizes before and after. The library keeps its file name and soname.
    """
    before = library.stat().st_size
    symbol, package = data_symbol(library.read_bytes())
    with tempfile.TemporaryDirectory(prefix="icu-trim-") as work:
        data_file, source = Path(work, "data.dat"), Path(work, "data.S")
        output = Path(work, library.name)
        data_file.write_bytes(trimmed_package(package))
        source.write_text(shared_object_source(symbol, data_file), encoding="ascii")
        subprocess.run([compiler, "-shared", "-nostdlib", f"-Wl,-soname,{library.name}",
                        "-Wl,-z,noexecstack", "-o", str(output), str(source)], check=True)
        if shutil.which("strip"):  # symbols of a data-only library: a few KB
            subprocess.run(["strip", "--strip-unneeded", str(output)], check=False)
        shutil.copyfile(output, library)
    return before, library.stat().st_size

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
which fills a section of its own. The smaller library is the same file with the trimmed package
in that section and the few ELF headers that give its size rewritten (read and written with
pyelftools): no compiler or linker is involved.
"""

from __future__ import annotations

import io
import re
import struct
from collections.abc import Iterable
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import Section, SymbolTableSection

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


def _open(library: bytes) -> ELFFile:
    try:
        return ELFFile(io.BytesIO(library))
    except ELFError as exc:
        raise IcuTrimError(f"not an ELF library: {exc}") from None


def _data_symbol(elf: ELFFile) -> tuple[str, Section]:
    """The ICU data symbol's name and the section it fills, which it must fill exactly."""
    for table in elf.iter_sections("SHT_DYNSYM"):
        for symbol in table.iter_symbols():
            if _DATA_SYMBOL.match(symbol.name) and isinstance(symbol["st_shndx"], int):
                holder = elf.get_section(symbol["st_shndx"])
                if (symbol["st_value"], symbol["st_size"]) != (holder["sh_addr"], holder["sh_size"]):
                    raise IcuTrimError(f"{symbol.name} is not a section of its own")
                return symbol.name, holder
    raise IcuTrimError("no icudtNN_dat symbol: not ICU's data library")


def data_symbol(library: bytes) -> tuple[str, bytes]:
    """The name and bytes of the ICU data symbol (icudtNN_dat) in an ELF shared library."""
    name, holder = _data_symbol(_open(library))
    return name, holder.data()


def shrunk_library(library: bytes) -> bytes:
    """`library` (libicudata.so.NN) holding only what Qt reads, as a smaller file.

    The package fills a section that ends the first loadable segment; what follows it in the
    file (the dynamic section, symbol tables, section headers) moves down by whole pages, so its
    addresses stay as they were. The package's size appears only in the headers and symbol
    entries rewritten here.
    """
    elf = _open(library)
    name, holder = _data_symbol(elf)
    start, end = holder["sh_offset"], holder["sh_offset"] + holder["sh_size"]
    package = trimmed_package(holder.data())
    segments = [segment.header for segment in elf.iter_segments()]
    loads = [header for header in segments if header.p_type == "PT_LOAD"]
    first = next((header for header in loads if header.p_offset + header.p_filesz == end), None)
    later = [header.p_offset for header in loads if header.p_offset >= end]
    sections = [section.header for section in elf.iter_sections()]
    if first is None or first.p_memsz != first.p_filesz or not later:
        raise IcuTrimError("the data does not end a loadable segment: a layout this cannot shrink")
    tail = min(later)
    if elf["e_shoff"] < tail or any(end <= header.sh_offset < tail and header.sh_size
                                    and header.sh_type != "SHT_NOBITS" for header in sections):
        raise IcuTrimError("file contents between the data and the next segment")
    page = max(4096, *(header.p_align for header in loads))
    new_end = start + len(package)
    shift = tail - (new_end + (tail - new_end) % page)  # whole pages: offsets keep their addresses

    def moved(offset: int) -> int:
        return offset - shift if offset >= tail else offset

    image = bytearray(library[:start] + package)
    image += bytes(tail - shift - len(image)) + library[tail:]

    def put(layout, offset: int, header) -> None:
        raw = layout.build(header)
        image[moved(offset):moved(offset) + len(raw)] = raw

    structs, header, holder_index = elf.structs, elf.header, elf.get_section_index(holder.name)
    for index, segment in enumerate(segments):
        where = header.e_phoff + index * header.e_phentsize
        if segment is first:
            segment.p_filesz = segment.p_memsz = new_end - segment.p_offset
        segment.p_offset = moved(segment.p_offset)
        put(structs.Elf_Phdr, where, segment)
    for index, section in enumerate(sections):
        where = header.e_shoff + index * header.e_shentsize
        if index == holder_index:
            section.sh_size = len(package)
        elif end <= section.sh_offset < tail:  # empty sections after the data follow it down
            section.sh_offset, section.sh_addr = new_end, holder["sh_addr"] + len(package)
        section.sh_offset = moved(section.sh_offset)
        put(structs.Elf_Shdr, where, section)
    for table in elf.iter_sections():
        if isinstance(table, SymbolTableSection):
            for index, symbol in enumerate(table.iter_symbols()):
                if symbol.name == name:
                    symbol.entry.st_size = len(package)
                    put(structs.Elf_Sym, table["sh_offset"] + index * table["sh_entsize"], symbol.entry)
    header.e_shoff = moved(header.e_shoff)
    put(structs.Elf_Ehdr, 0, header)
    return bytes(image)


def trim_library(library: Path) -> tuple[int, int]:
    """Replace `library` (libicudata.so.NN) by one holding only what Qt reads.

    Returns the sizes before and after. The library keeps its file name, soname and layout.
    """
    image = library.read_bytes()
    library.write_bytes(shrunk_library(image))
    return len(image), library.stat().st_size

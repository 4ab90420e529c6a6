"""Just enough of the ELF format to read a Linux shared library's dynamic symbols and the libraries
it needs, without binutils: the bundle build uses it (bundle_icu, bundle_libraries).

64-bit little-endian only (x86-64 and aarch64 Linux): other files raise ElfError.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

_SHT_DYNAMIC = 6
_SHT_DYNSYM = 11
_DT_NEEDED = 1


class ElfError(Exception):
    """Not a file this module can read."""


@dataclass(frozen=True)
class Section:
    kind: int
    address: int
    offset: int
    size: int
    link: int
    entry_size: int


def sections(image: bytes) -> list[Section]:
    if image[:6] != b"\x7fELF\x02\x01":
        raise ElfError("not a 64-bit little-endian ELF file")
    table_offset, = struct.unpack_from("<Q", image, 0x28)
    entry_size, count = struct.unpack_from("<HH", image, 0x3A)
    found = []
    for index in range(count):
        (_name, kind, _flags, address, offset, size, link, _info, _align,
         item_size) = struct.unpack_from("<IIQQQQIIQQ", image, table_offset + index * entry_size)
        found.append(Section(kind, address, offset, size, link, item_size))
    return found


def _string(image: bytes, table: Section, at: int) -> bytes:
    start = table.offset + at
    return image[start:image.index(b"\0", start)]


def defined_symbols(image: bytes) -> dict[str, bytes]:
    """Every dynamic symbol the file defines (exports), by name, with the bytes it covers."""
    table = sections(image)
    symbols = {}
    for section in table:
        if section.kind != _SHT_DYNSYM:
            continue
        names = table[section.link]
        for start in range(section.offset, section.offset + section.size, section.entry_size):
            name_at, _info, _other, index, value, length = struct.unpack_from("<IBBHQQ", image, start)
            if 0 < index < len(table):  # 0 is "undefined": imported, not defined here
                holder = table[index]
                file_offset = holder.offset + value - holder.address
                name = _string(image, names, name_at).decode("ascii", "replace")
                symbols[name] = image[file_offset:file_offset + length]
    return symbols


def needed_libraries(path: Path) -> list[str]:
    """The sonames `path` names as DT_NEEDED (what the dynamic loader must find for it)."""
    image = path.read_bytes()
    table = sections(image)
    needed = []
    for section in table:
        if section.kind != _SHT_DYNAMIC:
            continue
        strings = table[section.link]
        for start in range(section.offset, section.offset + section.size, 16):
            tag, value = struct.unpack_from("<qQ", image, start)
            if tag == _DT_NEEDED:
                needed.append(_string(image, strings, value).decode("ascii", "replace"))
    return needed

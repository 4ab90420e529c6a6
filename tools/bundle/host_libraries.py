"""Which system libraries the Linux bundle leaves to the host: those that only Qt's optional
desktop plugins need, worked out from the libraries' own ELF dependencies at build time.

The GTK 3 theme plugin needs the host's GTK 3, which no bundle carries, and the CUPS print plugin
talks to the host's CUPS service. Where those exist, so does the rest of their stacks, in the
versions the host's own configuration expects; where not, Qt skips the plugin either way (and
printing offers PDF). So a library that is needed only by these plugins, or only by other such
libraries, stays out of the bundle (16 MB on Debian 12, more where GTK is installed).

Decided from DT_NEEDED entries (read with pyelftools), not from names: a library that anything
else in the bundle needs (Fedora's FreeType linking HarfBuzz, say) stays in. GLib's family is
always kept whole: QtCore needs GLib, and its members must come from one build.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from elftools.elf.elffile import ELFFile

PLUGINS_WITH_HOST_STACKS = ("plugins/platformthemes/libqgtk3.so", "plugins/printsupport/libcupsprintersupport.so")
ALWAYS_BUNDLED = re.compile(r"^lib(glib|gobject|gthread|gio|gmodule)-2\.0\.so")


def needed_libraries(path: Path) -> list[str]:
    """The sonames `path` names as DT_NEEDED (what the dynamic loader must find for it).

    Raises pyelftools' ELFError for a file that is not ELF.
    """
    with path.open("rb") as stream:
        return [tag.needed for section in ELFFile(stream).iter_sections("SHT_DYNAMIC")
                for tag in section.iter_tags("DT_NEEDED")]


def _name(bundle_path: str) -> str:
    return PurePosixPath(bundle_path.replace("\\", "/")).name


def host_stack_libraries(needs: Mapping[str, Iterable[str]]) -> set[str]:
    """Bundle paths of top-level libraries needed only by the plugins with host stacks, directly
    or through other such libraries.

    `needs` maps each bundled binary's path in the bundle to the sonames it needs; a top-level
    library's path is its soname.
    """
    needs = {path: set(names) for path, names in needs.items()}
    dependents: dict[str, set[str]] = {}
    for path, names in needs.items():
        for name in names:
            dependents.setdefault(name, set()).add(path)
    plugins = {path for path in needs if path.replace("\\", "/").endswith(PLUGINS_WITH_HOST_STACKS)}
    candidates = {path for path in needs if "/" not in path.replace("\\", "/")
                  and not ALWAYS_BUNDLED.match(path) and dependents.get(_name(path))}
    host: set[str] = set()
    changed = True
    while changed:  # a library joins once all that need it are plugins or already joined
        changed = False
        for path in candidates - host:
            if dependents[_name(path)] <= plugins | host:
                host.add(path)
                changed = True
    return host

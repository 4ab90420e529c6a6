"""Where the app's own files (icons, desktop entry, sample corpus) are, however it was installed.

The files live in `resources/` at the repository root. A wheel installs that folder as the package
`hitl_desktop._resources` (mapped in pyproject.toml), and build.spec puts it at the same place inside
the bundle, so one lookup serves installed and frozen apps; a source checkout (or an editable
install, which does not copy files) falls back to the repository folder. Qt-free.
"""

from __future__ import annotations

from pathlib import Path

from hitl_desktop import APP_ID
from hitl_desktop.core.errors import ErrorKind, UserFacingError

_PACKAGE_DIR = Path(__file__).resolve().parents[1]  # hitl_desktop/
# Installed and frozen first, then the source tree.
_CANDIDATES = (_PACKAGE_DIR / "_resources", _PACKAGE_DIR.parent / "resources")

ICON_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def resources_dir() -> Path:
    """The folder holding `icons/` and the desktop entry; UserFacingError if the install is damaged."""
    for candidate in _CANDIDATES:
        if (candidate / "icons").is_dir():
            return candidate
    raise UserFacingError(
        "The application's resource files are missing.",
        "The installation looks damaged: reinstall HITL Desktop.", ErrorKind.IO)


def icon_svg() -> Path:
    return resources_dir() / "icons" / f"{APP_ID}.svg"


def icon_png(size: int) -> Path:
    return resources_dir() / "icons" / "png" / f"{APP_ID}-{size}.png"


def icon_pngs() -> dict[int, Path]:
    """Every PNG size that exists (a partly damaged install still gets the sizes that remain)."""
    folder = resources_dir()
    found = {size: folder / "icons" / "png" / f"{APP_ID}-{size}.png" for size in ICON_SIZES}
    return {size: path for size, path in found.items() if path.is_file()}


def desktop_entry_template() -> Path:
    return resources_dir() / f"{APP_ID}.desktop"


def sample_corpus_dir() -> Path:
    """Thirty short Markdown articles (CC0) the research uses when the user added no documents."""
    folder = resources_dir() / "sample_corpus"
    if not folder.is_dir():
        raise UserFacingError(
            "The sample documents are missing.",
            "The installation looks damaged: reinstall HITL Desktop, or add your own documents.",
            ErrorKind.IO)
    return folder

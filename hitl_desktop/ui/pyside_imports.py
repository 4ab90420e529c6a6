"""Stops PySide6 from reading the source of every module imported after it.

PySide6 supports an opt-in API (`from __feature__ import snake_case`) chosen per module. To know
which modules might use it, it reads the whole source text of each module imported after PySide6
(through `inspect.getsource`, which keeps every line in `linecache`) and looks for "PySide6".
This app never uses `__feature__`, and it imports LlamaIndex (about two thousand modules) after
Qt: measured, the scans cost 0.8 s of the background preload and 50 MB of memory for source text
nobody reads. Every module is taken to use PySide6 with the default API, as the app's own do.
"""

from __future__ import annotations

import sys


def skip_source_scans() -> bool:
    """Take every module to use PySide6's default API without reading it; False if this
    PySide6 has no such scan (then nothing is changed)."""
    import PySide6.QtCore  # noqa: F401 (loads the signature support that holds the scan)

    feature = sys.modules.get("shibokensupport.feature")
    if feature is None or not callable(getattr(feature, "_mod_uses_pyside", None)):
        return False
    feature._mod_uses_pyside = _uses_default_api  # type: ignore[attr-defined]
    return True


def _uses_default_api(_module: object) -> bool:
    return True

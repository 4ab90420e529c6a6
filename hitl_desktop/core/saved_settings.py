"""Reading settings.json without ever failing. Qt-free.

A file that cannot be read as settings (nested too deep, not JSON, not UTF-8, not an object,
absurdly large) is moved aside as settings.json.damaged-<time> and read as empty, so the
defaults are used; the damage is noted for the window to tell the person once
(`settings.recover_damaged_settings`). Whoever reads first sets it aside: the start-up check,
a load or a save.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

# Larger than any settings file the app writes by a factor of a thousand: anything bigger is not
# ours, and reading it could stall the start.
MAX_SETTINGS_BYTES = 1_000_000

_damage_lock = threading.Lock()
_damage_notices: list["DamagedSettings"] = []


@dataclass(frozen=True)
class DamagedSettings:
    """A settings file that could not be read, and where it was kept."""

    kept_as: Path | None   # None: it could not even be moved aside
    reason: str

    @property
    def message(self) -> str:
        return "The settings file was damaged, so HITL Desktop started with the default settings."

    @property
    def hint(self) -> str:
        where = (f"The damaged file was kept as {self.kept_as}." if self.kept_as is not None
                 else "The damaged file could not be moved aside.")
        return f"{where} Check your provider and model in Settings."


def read_saved(path: Path) -> dict[str, Any]:
    """The file's JSON object without any key in it; {} when it is missing, unreadable or damaged."""
    try:
        if path.stat().st_size > MAX_SETTINGS_BYTES:
            raise ValueError(f"{path.stat().st_size:,} bytes, far more than settings take")
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError, MemoryError) as exc:
        # RecursionError: deeply nested JSON ("[[[[…"); ValueError: not JSON, not UTF-8.
        if isinstance(exc, OSError) and not isinstance(exc, IsADirectoryError):
            log.warning("Ignoring unreadable settings file %s: %s", path, exc)  # permissions: not damage
            return {}
        _set_aside(path, type(exc).__name__)
        return {}
    if not isinstance(data, dict):
        _set_aside(path, f"a JSON {type(data).__name__}, not an object")
        return {}
    data.pop("api_key", None)  # never trust, never use, a key someone put in this file
    return data


def _set_aside(path: Path, reason: str) -> None:
    """Move a damaged settings file out of the way (kept for the user), and note it for the UI."""
    kept: Path | None = path.with_name(f"{path.name}.damaged-{datetime.now():%Y%m%d-%H%M%S-%f}")
    try:
        os.replace(path, kept)
    except FileNotFoundError:
        return  # another reader moved it a moment ago
    except OSError as exc:
        log.warning("Could not move the damaged settings file %s aside: %s", path, exc)
        kept = None
    log.warning("The settings file %s was damaged (%s); using the defaults. Kept as %s",
                path, reason, kept)
    with _damage_lock:
        _damage_notices.append(DamagedSettings(kept, reason))


def take_damage_notice() -> DamagedSettings | None:
    """The newest damage found since the last call, or None; each is told once."""
    with _damage_lock:
        found = _damage_notices[-1] if _damage_notices else None
        _damage_notices.clear()
    return found

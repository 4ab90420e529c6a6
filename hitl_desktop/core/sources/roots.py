"""The user's document roots: folders and files, saved in `sources.json` in the config folder.

`HITL_DESKTOP_DOCUMENTS` (folders or files separated by os.pathsep, ":" on Linux and macOS, ";" on
Windows) adds roots for one launch. They are listed after the saved ones and never written back:
`save_roots` leaves them out unless they were saved before.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from pathlib import Path

import platformdirs

from hitl_desktop import APP_ID
from hitl_desktop.core import paths
from hitl_desktop.core.atomic_file import atomic_write_text

log = logging.getLogger(__name__)

ENVIRONMENT_VARIABLE = "HITL_DESKTOP_DOCUMENTS"
ROOTS_FILE = "sources.json"


def roots_file() -> Path:
    return paths.config_dir() / ROOTS_FILE


def cache_dir() -> Path:
    """Where the document index is kept: the platform's cache folder (it can always be rebuilt)."""
    return platformdirs.user_cache_path(APP_ID, appauthor=False) / "sources"


def _normalise(path: str | Path) -> Path:
    return Path(os.path.abspath(os.path.expanduser(str(path))))


def _unique(roots: Iterable[Path]) -> list[Path]:
    return list(dict.fromkeys(_normalise(root) for root in roots))


def saved_roots() -> list[Path]:
    """The roots in sources.json; an unreadable or damaged file counts as none (logged)."""
    path = roots_file()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        roots = data["roots"]
        if not isinstance(roots, list) or not all(isinstance(r, str) for r in roots):
            raise ValueError("roots is not a list of paths")
    except FileNotFoundError:
        return []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("The list of document folders %s cannot be used (%s); starting with none.",
                    path, exc)
        return []
    return _unique(Path(r) for r in roots if r.strip())


def environment_roots() -> list[Path]:
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return _unique(Path(part) for part in value.split(os.pathsep) if part.strip())


def load_roots() -> list[Path]:
    """Saved roots, then the ones HITL_DESKTOP_DOCUMENTS adds for this launch."""
    return _unique([*saved_roots(), *environment_roots()])


def save_roots(roots: Iterable[Path]) -> None:
    """Save the list atomically, leaving out roots that only the environment added."""
    roots = _unique(roots)
    keep = set(saved_roots())
    from_environment = set(environment_roots()) - keep
    stored = [str(root) for root in roots if root not in from_environment]
    path = paths.ensure_dir(paths.config_dir()) / ROOTS_FILE
    atomic_write_text(path, json.dumps({"roots": stored}, indent=2, ensure_ascii=False) + "\n")

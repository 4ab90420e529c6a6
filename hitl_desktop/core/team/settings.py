"""Team settings: the team server's address, its shared token, and the reviewer's name. Qt-free.

The address and the name are kept in team.json beside settings.json (the provider settings
rewrite their own file whole); the token is a secret and lives where API keys do (the secret
store, under TOKEN_NAME), never in a file of settings. `HITL_DESKTOP_SERVER` and
`HITL_DESKTOP_SERVER_TOKEN` override the saved ones for one launch and are never written back.
An empty address means local mode, the default.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from hitl_desktop.core import paths
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.settings import register_url_secrets

log = logging.getLogger(__name__)

SERVER_ENV = "HITL_DESKTOP_SERVER"
TOKEN_ENV = "HITL_DESKTOP_SERVER_TOKEN"
TOKEN_NAME = "team-server"  # the token's name in the secret store, beside the providers' keys
FILE_NAME = "team.json"
MAX_NAME_CHARS = 80


@dataclass(frozen=True)
class TeamSettings:
    server_url: str = ""
    reviewer: str = ""                          # "Your name": recorded with every decision
    token: str = field(default="", repr=False)  # only when loaded with it; never saved here

    @property
    def team_mode(self) -> bool:
        return bool(self.server_url.strip())

    @property
    def display_url(self) -> str:
        """The address without any credentials written into it, for messages."""
        return display_url(self.server_url)


def display_url(url: str) -> str:
    parts = urlsplit(url.strip())
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 address goes back in brackets
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def team_file(settings_path: Path | None = None) -> Path:
    """team.json beside the settings file (`settings_path`, else the user's)."""
    return (settings_path.parent if settings_path is not None else paths.config_dir()) / FILE_NAME


def load_team_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> TeamSettings:
    """The saved address and name, with the environment's address on top (no token: see
    SettingsService.team, which looks it up in the secret store)."""
    env = os.environ if env is None else env
    saved = _read(path or team_file())
    url = env.get(SERVER_ENV, "").strip() or str(saved.get("server_url") or "").strip()
    register_url_secrets(url)
    return TeamSettings(server_url=url, reviewer=clean_name(str(saved.get("reviewer") or "")))


def save_team_settings(settings: TeamSettings, path: Path | None = None) -> None:
    """Write the address and the name (never the token). Raises UserFacingError."""
    from hitl_desktop.core.atomic_file import atomic_write_text

    target = path or team_file()
    data = {"server_url": settings.server_url.strip(), "reviewer": clean_name(settings.reviewer)}
    try:
        paths.ensure_dir(target.parent)
        atomic_write_text(target, json.dumps(data, indent=2))
    except OSError as exc:
        raise UserFacingError(f"Could not save the team settings ({exc.strerror or exc}).",
                              f"Check that {target.parent} can be written.", ErrorKind.IO) from None


def check_server_url(url: str) -> UserFacingError | None:
    """What is wrong with a team server address, or None (an empty one is fine: local mode)."""
    url = url.strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return UserFacingError(f"'{display_url(url) or url}' is not a web address.",
                               "Start it with http:// or https://, e.g. http://research.example.org:8000.",
                               ErrorKind.BAD_INPUT)
    if parts.username or parts.password:
        return UserFacingError("Put the token in the Token field, not in the address.", kind=ErrorKind.BAD_INPUT)
    return None


def clean_name(name: str) -> str:
    """A reviewer's name on one line, of a sensible length."""
    return " ".join(name.split())[:MAX_NAME_CHARS]


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError, RecursionError) as exc:
        log.warning("Ignoring unreadable team settings %s: %s", path, type(exc).__name__)
        return {}
    return data if isinstance(data, dict) else {}

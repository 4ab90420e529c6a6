"""Provider settings: what model to talk to and how. Qt-free.

Non-secret fields persist as JSON in the user's config folder, with the model and base URL
remembered per provider so switching back and forth loses nothing. API keys never go there:
they come from the environment or the secret store (`hitl_desktop.core.secret_store`), and are
excluded from repr so they never reach a log.

A damaged settings file never stops the app: it is moved aside (settings.json.damaged-<time>)
and the defaults are used (`saved_settings`); `recover_damaged_settings` says so in a sentence
for the window. Saves read, merge and write under a lock (`settings_lock`), so two processes
saving at once lose nothing.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from hitl_desktop.core import paths
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.redaction import register_secret
from hitl_desktop.core.saved_settings import DamagedSettings, read_saved, take_damage_notice
from hitl_desktop.core.settings_lock import settings_lock

if TYPE_CHECKING:
    from hitl_desktop.core.secret_store import SecretStore

log = logging.getLogger(__name__)

DASHSCOPE = "dashscope"
OPENAI_COMPATIBLE = "openai_compatible"
# The embedded default: research and report from the user's documents with no model at all.
OFFLINE = "offline"
OFFLINE_DESCRIPTION = "Offline · extractive"  # how the offline engine is named wherever a model is
PROVIDERS = (DASHSCOPE, OPENAI_COMPATIBLE, OFFLINE)
PROVIDER_LABELS = {DASHSCOPE: "DashScope", OPENAI_COMPATIBLE: "OpenAI-compatible",
                   OFFLINE: "Offline (your documents, no model)"}

DEFAULT_MODELS = {DASHSCOPE: "qwen-plus", OPENAI_COMPATIBLE: "qwen2.5:7b", OFFLINE: "extractive"}
SUGGESTED_MODELS = {DASHSCOPE: ("qwen-turbo", "qwen-plus", "qwen-max"), OPENAI_COMPATIBLE: (), OFFLINE: ()}
API_KEY_ENV = {DASHSCOPE: "DASHSCOPE_API_KEY", OPENAI_COMPATIBLE: "OPENAI_API_KEY", OFFLINE: ""}
DEFAULT_BASE_URLS = {DASHSCOPE: "https://dashscope.aliyuncs.com/api/v1",
                     OPENAI_COMPATIBLE: "http://localhost:11434/v1", OFFLINE: ""}

# Accepted ranges (the settings dialog uses the same ones for its spin boxes).
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_OUTPUT_TOKENS_RANGE = (16, 1_000_000)
TIMEOUT_RANGE_S = (5.0, 3600.0)

_PROFILE_FIELDS = ("model", "base_url")


@dataclass(frozen=True)
class ProviderSettings:
    provider: str = DASHSCOPE
    model: str = DEFAULT_MODELS[DASHSCOPE]
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    temperature: float = 0.3
    # Reports run long; the DashScope integration's default of 256 tokens truncates them.
    max_output_tokens: int = 4096
    # Generous: a slow local model may think for minutes before the first word.
    request_timeout_s: float = 300.0
    # Research also searches the web (Qwen on DashScope only: other servers return no sources).
    web_search: bool = False

    def public_dict(self) -> dict[str, object]:
        """Everything but the key: safe to persist or show."""
        data = asdict(self)
        data.pop("api_key")
        return data

    @property
    def label(self) -> str:
        return PROVIDER_LABELS.get(self.provider, self.provider)

    @property
    def description(self) -> str:
        return OFFLINE_DESCRIPTION if self.provider == OFFLINE else f"{self.label} · {self.model}"

    @property
    def key_env_var(self) -> str:
        return API_KEY_ENV.get(self.provider, "")

    @property
    def needs_key(self) -> bool:
        """DashScope always needs a key; local OpenAI-compatible servers usually do not."""
        return self.provider == DASHSCOPE


def settings_file() -> Path:
    return paths.config_dir() / "settings.json"


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None,
                  secrets: SecretStore | None = None, *, with_key: bool = True) -> ProviderSettings:
    """Saved settings, then the environment on top (environment wins, and is never written back).

    The key comes from the provider's environment variable or else `secrets` (see resolve_key);
    pass `with_key=False` when only the non-secret fields are wanted (no keychain access).
    """
    env = os.environ if env is None else env
    data = read_saved(path or settings_file())
    settings = _settings_from(data)
    provider = env.get("HITL_DESKTOP_PROVIDER", "").strip() or settings.provider
    if provider not in PROVIDERS:
        log.warning("Unknown provider %r in HITL_DESKTOP_PROVIDER; using %s", provider, DASHSCOPE)
        provider = DASHSCOPE
    if provider != settings.provider:
        settings = for_provider(settings, provider, data)
    model = env.get("HITL_DESKTOP_MODEL", "").strip()
    if model:
        settings = replace(settings, model=model)
    web_search = _switch(env.get("HITL_DESKTOP_WEB_SEARCH", ""), "HITL_DESKTOP_WEB_SEARCH")
    if web_search is not None:
        settings = replace(settings, web_search=web_search)
    if with_key:
        settings = replace(settings, api_key=resolve_key(settings.provider, env, secrets))
    register_secret(settings.api_key)
    register_url_secrets(settings.base_url)
    return settings


_ON, _OFF = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def _switch(value: str, name: str) -> bool | None:
    """An on/off environment variable: True, False, or None when unset (or unreadable: warned)."""
    word = value.strip().casefold()
    if not word:
        return None
    if word in _ON or word in _OFF:
        return word in _ON
    log.warning("Ignoring %s=%r: use 1 or 0", name, value)
    return None


def register_url_secrets(url: str) -> None:
    """A base URL may carry credentials (user:password@, ?api-key=…): keep them out of every text."""
    parts = urlsplit(url)
    register_secret(parts.username)  # a token may stand in the user-name place (https://TOKEN@host)
    register_secret(parts.password)
    for _name, value in parse_qsl(parts.query):
        register_secret(value)


def resolve_key(provider: str, env: Mapping[str, str] | None = None,
                secrets: SecretStore | None = None) -> str:
    """The environment variable's key, else the one kept in `secrets` ("" when there is none).

    Keys kept for this session only live in the SecretStore they were given to: the app passes
    its one store (see `hitl_desktop.core.settings_service`). Without one, a new store reads the
    environment, the keychain and the key file, and finds no session key.
    """
    from hitl_desktop.core.secret_store import SecretStore

    store = secrets if secrets is not None else SecretStore(env=env)
    key, _where = store.lookup(provider, API_KEY_ENV.get(provider, ""))
    return key


def for_provider(settings: ProviderSettings, provider: str,
                 saved: Mapping[str, Any] | None = None, *, path: Path | None = None) -> ProviderSettings:
    """`settings` switched to `provider`, with the model and base URL last used with it (from
    `saved`, else from the settings file at `path`)."""
    if saved is None:
        saved = read_saved(path or settings_file())
    profile = _profiles(saved).get(provider, {})
    return replace(settings, provider=provider,
                   model=str(profile.get("model") or DEFAULT_MODELS[provider]),
                   base_url=str(profile.get("base_url") or ""), api_key="")


# How long a save waits for another process's lock before it goes ahead without it.
LOCK_PATIENCE_S = 10.0


def save_settings(settings: ProviderSettings, path: Path | None = None) -> None:
    """Write `settings`, keeping the profiles other providers have in the file.

    The read and the write happen under a lock on a file beside the settings, so another process
    saving at the same moment (a second window) waits: neither loses the other's profile.
    """
    from hitl_desktop.core.atomic_file import atomic_write_text

    target = path or settings_file()
    paths.ensure_dir(target.parent)
    with settings_lock(target, LOCK_PATIENCE_S):
        profiles = _profiles(read_saved(target))
        profiles[settings.provider] = {name: getattr(settings, name) for name in _PROFILE_FIELDS}
        data = {**settings.public_dict(), "profiles": profiles}
        atomic_write_text(target, json.dumps(data, indent=2))


def check_settings(settings: ProviderSettings) -> UserFacingError | None:
    """What is wrong with these settings, in words to fix it; None when they can be used."""
    if settings.provider not in PROVIDERS:
        return UserFacingError(f"Unknown provider '{settings.provider}'.", "Choose one in the list.",
                               ErrorKind.CONFIG)
    if not settings.model.strip():
        return UserFacingError("Enter a model name.", "For example qwen-plus on DashScope, or the name "
                               "your local server lists (e.g. qwen2.5:7b in Ollama).", ErrorKind.BAD_INPUT)
    url = settings.base_url.strip()
    if settings.provider == OPENAI_COMPATIBLE and not url:
        return UserFacingError("Enter the server's base URL.",
                               "For example http://localhost:11434/v1 for Ollama.", ErrorKind.BAD_INPUT)
    if url:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            return UserFacingError(f"'{url}' is not a web address.",
                                   "Start it with http:// or https://, e.g. http://localhost:1234/v1.",
                                   ErrorKind.BAD_INPUT)
    return None


def _settings_from(data: Mapping[str, Any]) -> ProviderSettings:
    defaults = ProviderSettings()
    values: dict[str, Any] = {}
    for f in fields(ProviderSettings):
        if f.name == "api_key" or data.get(f.name) is None:
            continue
        default = getattr(defaults, f.name)
        if isinstance(default, bool) and not isinstance(data[f.name], bool):
            # bool("false") is True: a switch must be written as JSON true or false.
            log.warning("Ignoring a malformed %s in the settings file", f.name)
            continue
        try:
            value = type(default)(data[f.name])
        except (TypeError, ValueError, OverflowError):  # OverflowError: int(1e999)
            log.warning("Ignoring a malformed %s in the settings file", f.name)
            continue
        if isinstance(value, float) and not math.isfinite(value):  # NaN or infinity in the file
            log.warning("Ignoring a malformed %s in the settings file", f.name)
            continue
        values[f.name] = value
    settings = replace(defaults, **values)
    if settings.provider not in PROVIDERS:
        settings = replace(settings, provider=DASHSCOPE)
    return replace(settings,
                   temperature=_clamp(settings.temperature, *TEMPERATURE_RANGE),
                   max_output_tokens=int(_clamp(settings.max_output_tokens, *MAX_OUTPUT_TOKENS_RANGE)),
                   request_timeout_s=_clamp(settings.request_timeout_s, *TIMEOUT_RANGE_S))


def _clamp(value: float, low: float, high: float) -> float:
    if not math.isfinite(value):  # NaN would pass min/max untouched
        return low
    return min(max(value, low), high)


def _profiles(saved: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The per-provider profiles of a settings file, skipping anything hand-edited out of shape."""
    profiles = saved.get("profiles")
    if not isinstance(profiles, dict):
        return {}
    return {name: dict(profile) for name, profile in profiles.items() if isinstance(profile, dict)}


def recover_damaged_settings(path: Path | None = None) -> DamagedSettings | None:
    """Read the settings file once, setting it aside if it is damaged; the damage found since the
    last call (this read's or an earlier one's), for the window to show, or None.

    Called at start-up, before anything else reads the settings: the app then starts with the
    defaults and tells the person where their old file went.
    """
    read_saved(path or settings_file())
    return take_damage_notice()


def setup_needed(settings: ProviderSettings) -> str:
    """One sentence saying what the chosen model still needs, or "" when it has it (the offline
    engine needs nothing). Until it has it, runs use the offline engine (`runs_offline`)."""
    if settings.needs_key and not settings.api_key:
        return (f"No model is set up, so research runs offline on your documents (quotes, no "
                f"writing). For a model to write it, enter a {settings.label} API key in Settings (or "
                f"set {settings.key_env_var}), or choose a local OpenAI-compatible server.")
    if settings.provider == OPENAI_COMPATIBLE and not settings.base_url.strip():
        return ("No model is set up, so research runs offline on your documents. To use an "
                "OpenAI-compatible server, enter its address in Settings.")
    return ""


def runs_offline(settings: ProviderSettings) -> bool:
    """Runs use the offline engine: chosen, or no model is set up (no key, no address)."""
    return settings.provider == OFFLINE or bool(setup_needed(settings))

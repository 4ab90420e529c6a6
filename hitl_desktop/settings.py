"""Provider settings: what model to talk to and how. Qt-free.

Non-secret fields persist as JSON in the user's config folder; API keys never do (they come from
the environment or, later, the OS keychain) and are excluded from repr so they never reach a log.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from hitl_desktop import paths
from hitl_desktop.redaction import register_secret

log = logging.getLogger(__name__)

DASHSCOPE = "dashscope"
OPENAI_COMPATIBLE = "openai_compatible"
PROVIDERS = (DASHSCOPE, OPENAI_COMPATIBLE)

DEFAULT_MODELS = {DASHSCOPE: "qwen-plus", OPENAI_COMPATIBLE: "qwen2.5:7b"}
API_KEY_ENV = {DASHSCOPE: "DASHSCOPE_API_KEY", OPENAI_COMPATIBLE: "OPENAI_API_KEY"}


@dataclass(frozen=True)
class ProviderSettings:
    provider: str = DASHSCOPE
    model: str = DEFAULT_MODELS[DASHSCOPE]
    base_url: str = ""
    api_key: str = field(default="", repr=False)
    temperature: float = 0.3
    # Reports run long; the DashScope integration's default of 256 tokens truncates them.
    max_output_tokens: int = 4096
    request_timeout_s: float = 300.0

    def public_dict(self) -> dict[str, object]:
        """Everything but the key: safe to persist or show."""
        data = asdict(self)
        data.pop("api_key")
        return data

    @property
    def description(self) -> str:
        label = "DashScope" if self.provider == DASHSCOPE else "OpenAI-compatible"
        return f"{label} · {self.model}"


def settings_file() -> Path:
    return paths.config_dir() / "settings.json"


def load_settings(env: Mapping[str, str] | None = None, path: Path | None = None) -> ProviderSettings:
    """Saved settings, then the environment on top (environment wins, and is never written back)."""
    env = os.environ if env is None else env
    settings = _read_saved(path or settings_file())
    provider = env.get("HITL_DESKTOP_PROVIDER", "").strip() or settings.provider
    if provider not in PROVIDERS:
        log.warning("Unknown provider %r in HITL_DESKTOP_PROVIDER; using %s", provider, DASHSCOPE)
        provider = DASHSCOPE
    if provider != settings.provider:
        settings = replace(settings, provider=provider, model=DEFAULT_MODELS[provider])
    model = env.get("HITL_DESKTOP_MODEL", "").strip()
    if model:
        settings = replace(settings, model=model)
    key = env.get(API_KEY_ENV[provider], "").strip()
    if key:
        settings = replace(settings, api_key=key)
    register_secret(settings.api_key)
    return settings


def save_settings(settings: ProviderSettings, path: Path | None = None) -> None:
    from hitl_desktop.atomic_file import atomic_write_text

    target = path or settings_file()
    paths.ensure_dir(target.parent)
    atomic_write_text(target, json.dumps(settings.public_dict(), indent=2))


def _read_saved(path: Path) -> ProviderSettings:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ProviderSettings()
    except (OSError, ValueError) as exc:
        log.warning("Ignoring unreadable settings file %s: %s", path, exc)
        return ProviderSettings()
    known = {k: v for k, v in data.items() if k in ProviderSettings.__dataclass_fields__ and k != "api_key"}
    try:
        return ProviderSettings(**known)
    except TypeError as exc:
        log.warning("Ignoring malformed settings file %s: %s", path, exc)
        return ProviderSettings()

"""SettingsService: the one owner of the API keys, and the rules for loading and saving settings. Qt-free.

Everything that needs a key asks the same service: the settings dialog, its Test Connection,
the setup notice and every run. So a key kept "for this session only" lives in one SecretStore
and all of them see it.

The rules kept here:
- A key typed in Settings goes to the system keychain. Without one it goes where the person
  chose ("this session only" or "a file only you can read"); with no choice offered, where the
  current key already is, else this session only. Storing it removes every other stored copy.
- Without a keychain, choosing the other place for an existing key (and typing none) moves it.
- A keychain that does not answer (an unlock prompt nobody sees) may be given up on: the key is
  then kept for this session and the settings are saved all the same (`PendingSave`).

Every method may wait on the OS keychain. A caller with a UI thread runs them elsewhere
(`hitl_desktop.ui.settings_service` does, for the widgets).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.redaction import register_secret
from hitl_desktop.core.secret_store import KeychainStatus, KeyLocation, SecretStore
from hitl_desktop.core.team.settings import (
    TOKEN_ENV,
    TOKEN_NAME,
    TeamSettings,
    load_team_settings,
    save_team_settings,
    team_file,
)
from hitl_desktop.core.settings import (
    API_KEY_ENV,
    ProviderSettings,
    for_provider,
    load_settings,
    save_settings,
    settings_file,
)

# How long a Save waits on the keychain before offering to keep the key for this session.
KEYCHAIN_PATIENCE_S = 15.0

# The places a key can be kept when there is no keychain.
FALLBACKS = (KeyLocation.SESSION, KeyLocation.FILE)
_STORED = (KeyLocation.SESSION, KeyLocation.KEYCHAIN, KeyLocation.FILE)
# The environment variable that overrides each secret for one launch: the providers' keys and
# the team server's token.
_SECRET_ENV = {**API_KEY_ENV, TOKEN_NAME: TOKEN_ENV}


@dataclass(frozen=True)
class KeyState:
    """Where a provider's key is, as the settings dialog shows it."""

    provider: str
    location: KeyLocation   # where the key in use comes from: the environment wins
    stored: KeyLocation     # where the app itself keeps one (never ENVIRONMENT)
    keychain: KeychainStatus
    key_file: Path

    @property
    def removable(self) -> bool:
        return self.stored in _STORED

    @property
    def fallback(self) -> KeyLocation:
        """Without a keychain: the place the key is kept now, else this session only."""
        return self.stored if self.stored in FALLBACKS else KeyLocation.SESSION


@dataclass(frozen=True)
class SaveResult:
    settings: ProviderSettings     # as written (never with a key)
    key_location: KeyLocation | None  # where a typed or moved key went; None: keys untouched


class SettingsService:
    """Loads and saves the settings, and keeps the keys in the one SecretStore it is given."""

    def __init__(self, secrets: SecretStore, *, env: Mapping[str, str] | None = None,
                 path: Path | None = None, keychain_patience_s: float = KEYCHAIN_PATIENCE_S) -> None:
        self._secrets = secrets
        self._env = env          # None: the process environment, read when asked
        self._path = path        # None: the user's settings file
        self.keychain_patience_s = keychain_patience_s

    @property
    def secrets(self) -> SecretStore:
        return self._secrets

    @property
    def key_file(self) -> Path:
        return self._secrets.file_path

    # ----- reading --------------------------------------------------------------------------

    def current(self, *, with_key: bool = True) -> ProviderSettings:
        """The settings a run uses: saved ones, the environment's overrides, and the key."""
        return load_settings(self._env, self._path, self._secrets, with_key=with_key)

    def editable(self) -> ProviderSettings:
        """The saved settings only, without a key: what Settings edits. HITL_DESKTOP_* variables
        override them per launch and must not be written back by a Save."""
        return load_settings({}, self._path, with_key=False)

    def for_provider(self, settings: ProviderSettings, provider: str) -> ProviderSettings:
        """`settings` switched to `provider`, with the model and base URL last saved for it."""
        return for_provider(settings, provider, path=self._path)

    def key_state(self, provider: str) -> KeyState:
        _key, stored = self._secrets.lookup(provider)  # no variable name: the environment is skipped
        _key, location = self._secrets.lookup(provider, _SECRET_ENV.get(provider, ""))
        return KeyState(provider, location, stored, self._secrets.keychain_status(), self.key_file)

    def with_key(self, settings: ProviderSettings, typed_key: str = "") -> ProviderSettings:
        """`settings` with `typed_key`, else with the key they would run with (Test Connection)."""
        key = typed_key.strip()
        if key:
            register_secret(key)
        else:
            key, _where = self._secrets.lookup(settings.provider, settings.key_env_var)
        return replace(settings, api_key=key)

    # ----- the team server ------------------------------------------------------------------

    def team(self, *, with_token: bool = True) -> TeamSettings:
        """The team settings a run uses: saved ones, the environment's overrides, and the token
        (`with_token=False`: no keychain access, for deciding whether team mode is on)."""
        settings = load_team_settings(self._env, self._team_path)
        if not with_token:
            return settings
        token, _where = self._secrets.lookup(TOKEN_NAME, TOKEN_ENV)
        return replace(settings, token=token)

    def editable_team(self) -> TeamSettings:
        """The saved team settings only (no token, no environment): what Settings edits."""
        return load_team_settings({}, self._team_path)

    def save_team(self, settings: TeamSettings, typed_token: str = "",
                  fallback: KeyLocation | None = None) -> KeyLocation | None:
        """Store a typed token like an API key (keychain, else `fallback`), then write the address
        and name. Where the token went (None: untouched). Raises UserFacingError."""
        typed = typed_token.strip()
        if typed:
            register_secret(typed)
        where = self._place_key(TOKEN_NAME, typed, fallback)
        save_team_settings(settings, self._team_path)
        return where

    @property
    def _team_path(self) -> Path | None:
        return team_file(self._path) if self._path is not None else None

    # ----- writing --------------------------------------------------------------------------

    def forget_key(self, provider: str) -> KeyState:
        """Remove the stored key everywhere the app keeps one; the new state."""
        self._secrets.forget(provider)
        return self.key_state(provider)

    def start_save(self, settings: ProviderSettings, typed_key: str = "",
                   fallback: KeyLocation | None = None) -> PendingSave:
        """A Save of `settings` (any key in them is ignored) and of `typed_key` when one was typed.

        `fallback` is where the person chose to keep the key when there is no keychain
        (SESSION or FILE); None when no choice was offered. Nothing is written until run().
        """
        if fallback is not None and fallback not in FALLBACKS:
            raise ValueError(f"a key cannot fall back to {fallback}")
        return PendingSave(self, replace(settings, api_key=""), typed_key.strip(), fallback)

    def _write_settings(self, settings: ProviderSettings) -> None:
        try:
            save_settings(settings, self._path)
        except OSError as exc:
            raise UserFacingError(f"Could not save the settings ({exc.strerror or exc}).",
                                  f"Check that {(self._path or settings_file()).parent} can be written.",
                                  ErrorKind.IO) from None

    def _place_key(self, provider: str, typed: str, fallback: KeyLocation | None) -> KeyLocation | None:
        """Store `typed`, or move the stored key to `fallback`; where it went (None: untouched)."""
        keychain = self._secrets.keychain_status().available
        if typed:
            if keychain:
                target = KeyLocation.KEYCHAIN
            elif fallback is not None:
                target = fallback
            else:  # no choice was offered: replace the key where it is kept now
                stored = self._secrets.lookup(provider)[1]
                target = stored if stored in FALLBACKS else KeyLocation.SESSION
            self._secrets.store(provider, typed, target)
            return target
        if keychain or fallback is None:
            return None
        key, stored = self._secrets.lookup(provider)
        if stored not in FALLBACKS or stored is fallback:
            return None
        self._secrets.store(provider, key, fallback)
        return fallback


class PendingSave:
    """One Save. run() may wait on the keychain for as long as it takes; meanwhile (on another
    thread) keep_key_for_session() gives up on it: the settings are saved and the key held in
    memory at once, and whatever run() still does leaves the settings file alone."""

    def __init__(self, service: SettingsService, settings: ProviderSettings, typed_key: str,
                 fallback: KeyLocation | None) -> None:
        self._service = service
        self.settings = settings
        self._typed = typed_key
        self._fallback = fallback
        self._given_up = threading.Event()

    @property
    def stores_key(self) -> bool:
        """Whether a typed key is written (and the keychain, if any, may ask to be unlocked)."""
        return bool(self._typed)

    def run(self) -> SaveResult:
        """Write the key, then the settings. Raises UserFacingError saying what went wrong."""
        where = self._service._place_key(self.settings.provider, self._typed, self._fallback)
        if not self._given_up.is_set():  # else keep_key_for_session() saved the settings
            self._service._write_settings(self.settings)
        return SaveResult(self.settings, where)

    def keep_key_for_session(self) -> SaveResult:
        """Stop waiting for the keychain: hold the typed key in memory (found before any stored
        one) and save the settings now. The keychain may still store the key when it answers."""
        self._given_up.set()
        secrets = self._service.secrets
        if self._typed:
            secrets.keep_for_session(self.settings.provider, self._typed)
        self._service._write_settings(self.settings)
        return SaveResult(self.settings, KeyLocation.SESSION if self._typed else None)


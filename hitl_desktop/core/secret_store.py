"""Where API keys live: the OS keychain (through `keyring`), never the settings file. Qt-free.

A key is looked up in this order: the provider's environment variable (honoured, never written
anywhere), a key given for this session only, the keychain, then the 0600 key file. When no
keychain exists (headless Linux, some frozen builds: keyring's fail/null backends) the caller
is told so plainly and may choose "this session only" or "a file only you can read" instead.
Every key that passes through here is registered for redaction.
"""

from __future__ import annotations

import json
import logging
import os
import stat
import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from hitl_desktop import APP_ID
from hitl_desktop.core import paths
from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.redaction import register_secret

log = logging.getLogger(__name__)

KEYCHAIN_SERVICE = APP_ID
KEY_FILE_NAME = "api-keys.json"


class KeyLocation(str, Enum):
    ENVIRONMENT = "environment"
    SESSION = "session"
    KEYCHAIN = "keychain"
    FILE = "file"
    NONE = "none"


@dataclass(frozen=True)
class KeychainStatus:
    available: bool
    backend: str      # keyring's name for it, e.g. "SecretService Keyring", "fail Keyring"
    reason: str = ""  # why it is unavailable, in words a person can act on

    def describe(self) -> str:
        if self.available:
            return f"the system keychain ({self.backend})"
        return self.reason


def key_file() -> Path:
    return paths.config_dir() / KEY_FILE_NAME


class SecretStore:
    """API keys per provider name. Thread-safe; keychain reads are cached for its lifetime.

    Keys kept for this session only live in this object, so the app makes one and passes it to
    everything that needs a key (`hitl_desktop.core.settings_service.SettingsService`).
    """

    def __init__(self, env: Mapping[str, str] | None = None, file_path: Path | None = None) -> None:
        self._env = env
        self._file_path = file_path
        self._lock = threading.Lock()
        self._session: dict[str, str] = {}
        self._keychain_cache: dict[str, str] = {}
        self._status: KeychainStatus | None = None

    # ----- reading --------------------------------------------------------------------------

    def lookup(self, provider: str, env_var: str = "") -> tuple[str, KeyLocation]:
        """The key for `provider` and where it came from ("" and NONE when there is none)."""
        env = os.environ if self._env is None else self._env
        for location, read in ((KeyLocation.ENVIRONMENT, lambda: env.get(env_var, "").strip() if env_var else ""),
                               (KeyLocation.SESSION, lambda: self._session.get(provider, "")),
                               (KeyLocation.KEYCHAIN, lambda: self._keychain_get(provider)),
                               (KeyLocation.FILE, lambda: self._file_read().get(provider, ""))):
            key = read()
            if key:
                register_secret(key)
                return key, location
        return "", KeyLocation.NONE

    def keychain_status(self) -> KeychainStatus:
        with self._lock:
            if self._status is None:
                self._status = _probe_keychain()
            return self._status

    # ----- writing --------------------------------------------------------------------------

    def store(self, provider: str, key: str, location: KeyLocation) -> None:
        """Keep `key` in `location` only (other stored copies are removed). Raises UserFacingError."""
        key = key.strip()
        if not key:
            raise UserFacingError("The API key is empty.", "Paste the key, or remove the stored one.",
                                  ErrorKind.BAD_INPUT)
        register_secret(key)
        if location is KeyLocation.KEYCHAIN:
            self._keychain_set(provider, key)
        elif location is KeyLocation.SESSION:
            with self._lock:
                self._session[provider] = key
        elif location is KeyLocation.FILE:
            self._file_update(provider, key)
        else:
            raise ValueError(f"cannot store a key in {location}")
        self._remove_other_copies(provider, keep=location)

    def keep_for_session(self, provider: str, key: str) -> None:
        """Hold `key` in memory for this session, leaving any stored copy alone: used when the
        keychain does not answer, so nothing here may wait on it. The session copy is found
        first by lookup()."""
        key = key.strip()
        if not key:
            raise UserFacingError("The API key is empty.", "Paste the key, or remove the stored one.",
                                  ErrorKind.BAD_INPUT)
        register_secret(key)
        with self._lock:
            self._session[provider] = key

    def forget(self, provider: str) -> None:
        """Remove the stored key everywhere we keep one (the environment is not ours to change)."""
        self._remove_other_copies(provider, keep=None)

    # ----- keychain -------------------------------------------------------------------------

    def _keychain_get(self, provider: str) -> str:
        with self._lock:
            if provider in self._keychain_cache:
                return self._keychain_cache[provider]
        if not self.keychain_status().available:
            return ""
        import keyring
        from keyring.errors import KeyringError

        try:
            key = keyring.get_password(KEYCHAIN_SERVICE, provider) or ""
        except (KeyringError, OSError) as exc:
            self._mark_unavailable(exc)
            return ""
        with self._lock:
            self._keychain_cache[provider] = key
        return key

    def _keychain_set(self, provider: str, key: str) -> None:
        status = self.keychain_status()
        if not status.available:
            raise UserFacingError(f"No system keychain is available: {status.reason}",
                                  "Keep the key for this session only, or in a file only you can read.",
                                  ErrorKind.CONFIG)
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(KEYCHAIN_SERVICE, provider, key)
        except (KeyringError, OSError) as exc:
            self._mark_unavailable(exc)
            raise UserFacingError(
                f"The system keychain did not accept the key ({type(exc).__name__}).",
                "Unlock the keychain and try again, or keep the key for this session only.",
                ErrorKind.CONFIG) from None
        with self._lock:
            self._keychain_cache[provider] = key

    def _keychain_delete(self, provider: str) -> None:
        with self._lock:
            self._keychain_cache.pop(provider, None)
        if not self.keychain_status().available:
            return
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        try:
            keyring.delete_password(KEYCHAIN_SERVICE, provider)
        except PasswordDeleteError:
            pass  # nothing was stored
        except (KeyringError, OSError) as exc:
            log.warning("Could not remove the key from the keychain: %s", type(exc).__name__)

    def _mark_unavailable(self, exc: BaseException) -> None:
        # The exception text may quote the request; only its type is kept.
        log.warning("The system keychain failed (%s); treating it as unavailable", type(exc).__name__)
        with self._lock:
            backend = self._status.backend if self._status else "unknown"
            self._status = KeychainStatus(False, backend, f"the system keychain ({backend}) "
                                          f"failed with {type(exc).__name__}.")

    # ----- key file (0600) ------------------------------------------------------------------

    @property
    def file_path(self) -> Path:
        return self._file_path or key_file()

    def _file_read(self) -> dict[str, str]:
        path = self.file_path
        try:
            mode = path.stat().st_mode
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                log.warning("The key file %s was readable by others; making it private", path)
                os.chmod(path, 0o600)
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError, RecursionError) as exc:  # RecursionError: "[[[[…" nested deep
            log.warning("Ignoring unreadable key file %s: %s", path, type(exc).__name__)
            return {}
        return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} \
            if isinstance(data, dict) else {}

    def _file_update(self, provider: str, key: str | None) -> None:
        from hitl_desktop.core.atomic_file import atomic_write_text

        keys = self._file_read()
        if key is None:
            if provider not in keys:
                return
            keys.pop(provider)
        else:
            keys[provider] = key
        path = self.file_path
        paths.ensure_dir(path.parent)
        _create_private(path)
        try:
            # The atomic writer keeps the target's mode, which _create_private made 0600.
            atomic_write_text(path, json.dumps(keys, indent=2))
        except OSError as exc:
            raise UserFacingError(f"Could not write the key file {path} ({exc.strerror or exc}).",
                                  "Check the folder's permissions, or keep the key for this session only.",
                                  ErrorKind.IO) from None

    def _remove_other_copies(self, provider: str, keep: KeyLocation | None) -> None:
        if keep is not KeyLocation.SESSION:
            with self._lock:
                self._session.pop(provider, None)
        if keep is not KeyLocation.KEYCHAIN:
            self._keychain_delete(provider)
        if keep is not KeyLocation.FILE:
            self._file_update(provider, None)


def _create_private(path: Path) -> None:
    """Make sure `path` exists with mode 0600 before any key is written into it."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    os.chmod(path, 0o600)


def _probe_keychain() -> KeychainStatus:
    try:
        if sys.platform.startswith("linux"):
            # Registers the Secret Service backend that needs no `cryptography` (the bundle has
            # none); it steps aside where keyring's own backend can load.
            import hitl_desktop.core.secret_service  # noqa: F401
        import keyring
        from keyring.backends import chainer, fail, null

        backend = keyring.get_keyring()
    except Exception as exc:  # a broken keyring install must not stop the app
        return KeychainStatus(False, "none", f"the keychain library failed to load ({type(exc).__name__}).")
    name = str(getattr(backend, "name", type(backend).__name__))
    if isinstance(backend, fail.Keyring):
        return KeychainStatus(False, name, "this computer has no system keychain that the app "
                                           "can use (no Secret Service, KWallet or similar is running).")
    if isinstance(backend, null.Keyring):
        return KeychainStatus(False, name, "the keychain is switched off (keyring's null backend).")
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return KeychainStatus(False, name, "this computer has no system keychain that the app can use.")
    return KeychainStatus(True, name)

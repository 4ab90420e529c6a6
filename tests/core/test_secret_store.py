"""API keys: keychain when there is one, a plain warning and a choice when there is not."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail, null
from memory_keyring import MemoryKeyring

from hitl_desktop.core.errors import ErrorKind, UserFacingError
from hitl_desktop.core.redaction import redact
from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE, KeyLocation, SecretStore
from hitl_desktop.core.settings import DASHSCOPE, OPENAI_COMPATIBLE, load_settings, save_settings, settings_file

KEY = "sk-secret-store-test-key-13579"


def test_keychain_happy_path(isolated_keyring: MemoryKeyring) -> None:
    store = SecretStore(env={})
    assert store.keychain_status().available
    store.store(DASHSCOPE, KEY, KeyLocation.KEYCHAIN)
    assert isolated_keyring.passwords == {(KEYCHAIN_SERVICE, DASHSCOPE): KEY}
    assert SecretStore(env={}).lookup(DASHSCOPE) == (KEY, KeyLocation.KEYCHAIN)
    assert not store.file_path.exists()  # nothing on disk
    store.forget(DASHSCOPE)
    assert isolated_keyring.passwords == {}
    assert store.lookup(DASHSCOPE) == ("", KeyLocation.NONE)


def test_environment_key_wins_and_is_never_written(isolated_keyring: MemoryKeyring) -> None:
    store = SecretStore(env={"DASHSCOPE_API_KEY": KEY})
    store.store(DASHSCOPE, "sk-other-stored-key-24680", KeyLocation.KEYCHAIN)
    assert store.lookup(DASHSCOPE, "DASHSCOPE_API_KEY") == (KEY, KeyLocation.ENVIRONMENT)
    assert KEY not in str(isolated_keyring.passwords)


@pytest.mark.parametrize("backend", [fail.Keyring(), null.Keyring()], ids=["fail", "null"])
def test_no_keychain_is_said_plainly_and_refused(backend: object) -> None:
    keyring.set_keyring(backend)
    store = SecretStore(env={})
    status = store.keychain_status()
    assert not status.available
    assert "keychain" in status.reason
    with pytest.raises(UserFacingError) as caught:
        store.store(DASHSCOPE, KEY, KeyLocation.KEYCHAIN)
    assert caught.value.kind is ErrorKind.CONFIG
    assert "this session only" in caught.value.hint and "only you can read" in caught.value.hint
    assert store.lookup(DASHSCOPE) == ("", KeyLocation.NONE)  # and reading does not crash


def test_session_only_key_lives_in_memory_only(isolated_home: Path) -> None:
    keyring.set_keyring(fail.Keyring())
    store = SecretStore(env={})
    store.store(OPENAI_COMPATIBLE, KEY, KeyLocation.SESSION)
    assert store.lookup(OPENAI_COMPATIBLE) == (KEY, KeyLocation.SESSION)
    on_disk = [p.read_bytes() for p in isolated_home.rglob("*") if p.is_file()]
    assert not any(KEY.encode() in data for data in on_disk)
    assert SecretStore(env={}).lookup(OPENAI_COMPATIBLE) == ("", KeyLocation.NONE)  # a new process


def test_key_file_is_private_and_replaced_atomically() -> None:
    keyring.set_keyring(fail.Keyring())
    store = SecretStore(env={})
    store.store(DASHSCOPE, KEY, KeyLocation.FILE)
    path = store.file_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {DASHSCOPE: KEY}
    assert SecretStore(env={}).lookup(DASHSCOPE) == (KEY, KeyLocation.FILE)
    store.store(OPENAI_COMPATIBLE, "sk-second-key-for-local-0000", KeyLocation.FILE)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(json.loads(path.read_text())) == {DASHSCOPE, OPENAI_COMPATIBLE}
    assert not list(path.parent.glob(".*.tmp"))  # no temp files left behind


def test_a_key_file_opened_up_by_someone_is_made_private_again() -> None:
    keyring.set_keyring(fail.Keyring())
    store = SecretStore(env={})
    store.store(DASHSCOPE, KEY, KeyLocation.FILE)
    store.file_path.chmod(0o644)
    assert SecretStore(env={}).lookup(DASHSCOPE) == (KEY, KeyLocation.FILE)
    assert stat.S_IMODE(store.file_path.stat().st_mode) == 0o600


def test_moving_a_key_to_the_keychain_removes_the_file_copy(isolated_keyring: MemoryKeyring) -> None:
    store = SecretStore(env={})
    store.store(DASHSCOPE, KEY, KeyLocation.FILE)
    store.store(DASHSCOPE, KEY, KeyLocation.KEYCHAIN)
    assert KEY not in store.file_path.read_text()
    assert store.lookup(DASHSCOPE) == (KEY, KeyLocation.KEYCHAIN)


def test_a_keychain_that_fails_at_runtime_becomes_unavailable(isolated_keyring: MemoryKeyring) -> None:
    from keyring.errors import KeyringLocked

    def locked(*_args: object) -> None:
        raise KeyringLocked("collection is locked")

    isolated_keyring.set_password = locked  # type: ignore[method-assign]
    store = SecretStore(env={})
    with pytest.raises(UserFacingError) as caught:
        store.store(DASHSCOPE, KEY, KeyLocation.KEYCHAIN)
    assert "did not accept" in caught.value.message and KEY not in str(caught.value)
    assert not store.keychain_status().available


def test_load_settings_reads_the_stored_key_and_never_saves_it(isolated_keyring: MemoryKeyring) -> None:
    store = SecretStore()
    store.store(DASHSCOPE, KEY, KeyLocation.KEYCHAIN)
    settings = load_settings(secrets=store)
    assert settings.api_key == KEY
    assert load_settings().api_key == KEY  # any store finds a key in the keychain
    assert KEY not in repr(settings)
    save_settings(settings)
    assert KEY not in settings_file().read_text()
    assert redact(f"the key is {KEY}") == "the key is [redacted]"  # registered for redaction

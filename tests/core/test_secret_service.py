"""The Linux keychain backend without `cryptography` (core/secret_service.py), against a Secret
Service on a private D-Bus session bus (tests/fake_secret_service.py), and against GNOME Keyring
where it is installed."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import keyring
import pytest
from fake_secret_service import COLLECTION, SecretServiceBus, dbus_daemon_available
from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError

from hitl_desktop.core import secret_service
from hitl_desktop.core.secret_service import APP_ATTRIBUTE, PlainSecretServiceKeyring
from hitl_desktop.core.secret_store import KEYCHAIN_SERVICE, KeyLocation, SecretStore
from hitl_desktop.core.settings import DASHSCOPE

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux") or not dbus_daemon_available(),
                                reason="needs Linux and dbus-daemon")
KEY = "sk-plain-session-test-24680"


@pytest.fixture
def bus(monkeypatch: pytest.MonkeyPatch) -> Iterator[SecretServiceBus]:
    with SecretServiceBus() as running:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", running.address)
        yield running


@pytest.fixture
def no_secretstorage(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in the bundle, where keyring's own Secret Service backend cannot load."""
    monkeypatch.setattr(secret_service, "keyring_backend_loads", lambda: False)


def test_stores_reads_and_deletes_through_a_plain_session(bus: SecretServiceBus) -> None:
    backend = PlainSecretServiceKeyring()
    backend.set_password(KEYCHAIN_SERVICE, DASHSCOPE, KEY)
    (item,) = bus.service.items.values()
    # Stored as keyring's own backend stores it, so each reads what the other wrote.
    assert item.attributes == {"service": KEYCHAIN_SERVICE, "username": DASHSCOPE, "application": APP_ATTRIBUTE}
    assert item.label == f"Password for '{DASHSCOPE}' on '{KEYCHAIN_SERVICE}'"
    assert item.secret == KEY.encode() and item.content_type == "text/plain"
    assert backend.get_password(KEYCHAIN_SERVICE, DASHSCOPE) == KEY
    backend.set_password(KEYCHAIN_SERVICE, DASHSCOPE, "sk-replaced-13579")  # replaces, no duplicate
    assert len(bus.service.items) == 1
    assert backend.get_password(KEYCHAIN_SERVICE, DASHSCOPE) == "sk-replaced-13579"
    assert backend.get_password(KEYCHAIN_SERVICE, "other") is None
    backend.delete_password(KEYCHAIN_SERVICE, DASHSCOPE)
    assert bus.service.items == {} and backend.get_password(KEYCHAIN_SERVICE, DASHSCOPE) is None
    with pytest.raises(PasswordDeleteError):
        backend.delete_password(KEYCHAIN_SERVICE, DASHSCOPE)
    assert set(bus.service.algorithms) == {"plain"}


def test_a_locked_keychain_asks_to_be_unlocked_and_a_dismissed_prompt_is_an_error(
        bus: SecretServiceBus) -> None:
    backend = PlainSecretServiceKeyring()
    backend.set_password(KEYCHAIN_SERVICE, DASHSCOPE, KEY)
    bus.service.locked = True
    assert backend.get_password(KEYCHAIN_SERVICE, DASHSCOPE) == KEY
    assert bus.service.prompts_shown == 1 and not bus.service.locked
    bus.service.locked = bus.service.dismiss_prompts = True
    with pytest.raises(KeyringLocked):
        backend.get_password(KEYCHAIN_SERVICE, DASHSCOPE)


def test_a_missing_default_collection_is_created(bus: SecretServiceBus) -> None:
    bus.service.has_default_alias = False
    PlainSecretServiceKeyring().set_password(KEYCHAIN_SERVICE, DASHSCOPE, KEY)
    assert bus.service.prompts_shown == 1
    assert list(bus.service.items) and next(iter(bus.service.items)).startswith(COLLECTION + "/")


def test_keyring_picks_it_only_where_its_own_backend_cannot_load(bus: SecretServiceBus,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert not PlainSecretServiceKeyring.viable  # secretstorage is installed here: keyring's wins
    monkeypatch.setattr(secret_service, "keyring_backend_loads", lambda: False)
    assert PlainSecretServiceKeyring.viable
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    assert not PlainSecretServiceKeyring.viable  # no Secret Service: not offered


def test_the_app_keeps_its_key_in_the_keychain_through_it(bus: SecretServiceBus, no_secretstorage: None) -> None:
    keyring.set_keyring(PlainSecretServiceKeyring())
    store = SecretStore(env={})
    assert store.keychain_status().available
    store.store(DASHSCOPE, KEY, KeyLocation.KEYCHAIN)
    assert SecretStore(env={}).lookup(DASHSCOPE) == (KEY, KeyLocation.KEYCHAIN)
    assert not store.file_path.exists()
    store.forget(DASHSCOPE)
    assert bus.service.items == {}


def test_keyrings_own_backend_and_this_one_read_each_others_items(bus: SecretServiceBus) -> None:
    from keyring.backends.SecretService import Keyring as KeyringsOwn

    KeyringsOwn().set_password(KEYCHAIN_SERVICE, DASHSCOPE, KEY)  # falls back to plain here too
    assert PlainSecretServiceKeyring().get_password(KEYCHAIN_SERVICE, DASHSCOPE) == KEY
    PlainSecretServiceKeyring().set_password(KEYCHAIN_SERVICE, "openai", "sk-other-97531")
    assert KeyringsOwn().get_password(KEYCHAIN_SERVICE, "openai") == "sk-other-97531"


def test_no_session_bus_is_a_keyring_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
    with pytest.raises(KeyringError):
        PlainSecretServiceKeyring().get_password(KEYCHAIN_SERVICE, DASHSCOPE)

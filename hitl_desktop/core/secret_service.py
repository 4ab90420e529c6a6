"""A keyring backend for the Linux keychain (Secret Service over D-Bus) that needs no cryptography.

keyring's own Secret Service backend goes through secretstorage, which encrypts each secret on
the D-Bus session with a Diffie-Hellman key and AES, and so needs the `cryptography` package:
11.6 MB of the frozen bundle, which leaves it out (README, "Bundle size"). This backend speaks
the same Secret Service API with jeepney alone and opens the session with the specification's
"plain" algorithm: the secret crosses the per-user session bus unencrypted, as the
specification allows. Only processes of the same user that may eavesdrop on that bus could
read it, and they can ask the keychain for it anyway.

It is viable only where keyring's own backend cannot load (secretstorage missing, as in the
bundle), so a pip install keeps keyring's encrypted session. It stores items the way keyring's
backend does (same attributes, label and default collection), so either reads what the other
wrote. Importing this module registers the backend with keyring (`hitl_desktop.core.secret_store`
does so on Linux before keyring chooses a backend). Qt-free.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from jaraco.classes.properties import classproperty
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringError, KeyringLocked, PasswordDeleteError, PasswordSetError

BUS_NAME = "org.freedesktop.secrets"
SERVICE_PATH = "/org/freedesktop/secrets"
PREFIX = "org.freedesktop.Secret."
APP_ATTRIBUTE = "Python keyring library"  # keyring's SecretService.appid: items stay shared with it
CALL_TIMEOUT = 25.0  # seconds: D-Bus's own default for a method call
NO_PROMPT = "/"


class SecretServiceError(KeyringError):
    """The Secret Service could not be reached or refused a request."""


def keyring_backend_loads() -> bool:
    """Whether keyring's own Secret Service backend can work here (secretstorage installed)."""
    return importlib.util.find_spec("secretstorage") is not None


class Connection:
    """One D-Bus session-bus connection to the Secret Service, with a plain session open."""

    def __init__(self) -> None:
        from jeepney.io.blocking import open_dbus_connection

        try:
            self._bus = open_dbus_connection(bus="SESSION")
        except (OSError, KeyError, ValueError, RuntimeError) as exc:  # KeyError: no bus address
            raise InitError(f"no D-Bus session bus ({type(exc).__name__})") from None
        try:
            # The service sends a prompt's Completed signal to no one in particular; ask for it.
            self._add_match(f"type='signal',sender='{BUS_NAME}',interface='{PREFIX}Prompt'")
            _output, self.session = self.call(SERVICE_PATH, "Service", "OpenSession", "sv", "plain", ("s", ""))
        except BaseException:
            self._bus.close()
            raise

    def close(self) -> None:
        self._bus.close()

    def _add_match(self, rule: str) -> None:
        from jeepney import DBusAddress, new_method_call

        bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus",
                          interface="org.freedesktop.DBus")
        self._send(new_method_call(bus, "AddMatch", "s", (rule,)))

    def _send(self, message: Any, timeout: float | None = CALL_TIMEOUT) -> tuple[Any, ...]:
        from jeepney.low_level import HeaderFields, MessageType

        try:
            reply = self._bus.send_and_get_reply(message, timeout=timeout)
        except (OSError, TimeoutError) as exc:
            raise SecretServiceError(f"the Secret Service did not answer ({type(exc).__name__})") from None
        if reply.header.message_type == MessageType.error:
            name = reply.header.fields.get(HeaderFields.error_name, "unknown error")
            raise SecretServiceError(f"the Secret Service refused the request: {name}")
        return tuple(reply.body)

    def call(self, path: str, interface: str, method: str, signature: str | None = None,
             *body: Any) -> tuple[Any, ...]:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(path, bus_name=BUS_NAME, interface=PREFIX + interface)
        return self._send(new_method_call(address, method, signature, body))

    def property(self, path: str, interface: str, name: str) -> Any:
        from jeepney import DBusAddress, new_method_call

        address = DBusAddress(path, bus_name=BUS_NAME, interface="org.freedesktop.DBus.Properties")
        (_signature, value), = self._send(new_method_call(address, "Get", "ss", (PREFIX + interface, name)))
        return value

    def prompt(self, path: str) -> tuple[bool, Any]:
        """Show the prompt at `path` (the keychain's own password dialog) and wait for the person:
        (dismissed, result). No time limit, as with keyring's backend: the person may be typing."""
        if path == NO_PROMPT:
            return False, None
        from jeepney import MatchRule
        from jeepney.low_level import MessageType

        rule = MatchRule(type=MessageType.signal, path=path, interface=PREFIX + "Prompt", member="Completed")
        with self._bus.filter(rule) as completed:
            self.call(path, "Prompt", "Prompt", "s", "")
            try:
                dismissed, (_signature, result) = self._bus.recv_until_filtered(completed).body
            except OSError as exc:
                raise SecretServiceError(f"the keychain's prompt failed ({type(exc).__name__})") from None
        return bool(dismissed), result

    def unlock(self, path: str, interface: str) -> None:
        """Unlock a collection or item (`interface`: which of the two); the keychain may ask the
        person for its password."""
        if not self.property(path, interface, "Locked"):
            return
        unlocked, prompt = self.call(SERVICE_PATH, "Service", "Unlock", "ao", [path])
        if path in unlocked:
            return
        dismissed, result = self.prompt(prompt)
        if dismissed or path not in (result or []):
            raise KeyringLocked("the keychain stayed locked (its password prompt was dismissed)")

    def default_collection(self) -> str:
        """The default collection, created as keyring's backend would if there is none."""
        path, = self.call(SERVICE_PATH, "Service", "ReadAlias", "s", "default")
        if path == NO_PROMPT:
            properties = {PREFIX + "Collection.Label": ("s", "Default")}
            path, prompt = self.call(SERVICE_PATH, "Service", "CreateCollection", "a{sv}s",
                                     properties, "default")
            if path == NO_PROMPT:
                dismissed, path = self.prompt(prompt)
                if dismissed or not path:
                    raise InitError("the keychain's default collection was not created (prompt dismissed)")
        self.unlock(path, "Collection")
        return path

    def search(self, collection: str, attributes: dict[str, str]) -> list[str]:
        items, = self.call(collection, "Collection", "SearchItems", "a{ss}", attributes)
        return list(items)

    def secret(self, item: str) -> str:
        self.unlock(item, "Item")
        (_session, _parameters, value, _content_type), = self.call(item, "Item", "GetSecret", "o", self.session)
        return bytes(value).decode("utf-8")

    def create(self, collection: str, label: str, attributes: dict[str, str], secret: str) -> None:
        properties = {PREFIX + "Item.Label": ("s", label), PREFIX + "Item.Attributes": ("a{ss}", attributes)}
        value = (self.session, b"", secret.encode("utf-8"), "text/plain")
        _item, prompt = self.call(collection, "Collection", "CreateItem", "a{sv}(oayays)b",
                                  properties, value, True)
        dismissed, _result = self.prompt(prompt)
        if dismissed:
            raise PasswordSetError("the keychain's prompt was dismissed")

    def delete(self, item: str) -> None:
        prompt, = self.call(item, "Item", "Delete")
        dismissed, _result = self.prompt(prompt)
        if dismissed:
            raise PasswordDeleteError("the keychain's prompt was dismissed")


@contextmanager
def _connected() -> Iterator[Connection]:
    connection = Connection()
    try:
        yield connection
    finally:
        connection.close()


def service_available() -> bool:
    """Whether a Secret Service runs (or can be started by D-Bus) on the session bus."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    bus = DBusAddress("/org/freedesktop/DBus", bus_name="org.freedesktop.DBus", interface="org.freedesktop.DBus")
    try:
        with open_dbus_connection(bus="SESSION") as connection:
            (owned,) = connection.send_and_get_reply(new_method_call(bus, "NameHasOwner", "s", (BUS_NAME,)),
                                                     timeout=CALL_TIMEOUT).body
            if owned:
                return True
            (names,) = connection.send_and_get_reply(new_method_call(bus, "ListActivatableNames"),
                                                     timeout=CALL_TIMEOUT).body
            return BUS_NAME in names
    except (OSError, KeyError, ValueError, RuntimeError):  # no bus, or it did not answer
        return False


class PlainSecretServiceKeyring(KeyringBackend):
    """The desktop's Secret Service (GNOME Keyring, KeePassXC, KWallet 6…) through a plain session."""

    name = "Secret Service (plain session)"  # type: ignore[assignment]

    @classproperty
    def priority(cls) -> float:  # noqa: N805 (a class property: keyring reads it from the class)
        if keyring_backend_loads():
            raise RuntimeError("keyring's own Secret Service backend is installed: it is used instead")
        if not service_available():
            raise RuntimeError("no Secret Service on the D-Bus session bus")
        return 5  # keyring's SecretService backend's priority, whose place this takes

    def get_password(self, service: str, username: str) -> str | None:
        with _connected() as connection:
            items = connection.search(connection.default_collection(), _query(service, username))
            return connection.secret(items[0]) if items else None

    def set_password(self, service: str, username: str, password: str) -> None:
        label = f"Password for '{username}' on '{service}'"  # keyring's backend's label
        with _connected() as connection:
            attributes = {**_query(service, username), "application": APP_ATTRIBUTE}
            connection.create(connection.default_collection(), label, attributes, password)

    def delete_password(self, service: str, username: str) -> None:
        with _connected() as connection:
            items = connection.search(connection.default_collection(), _query(service, username))
            if not items:
                raise PasswordDeleteError("No such password!")
            connection.delete(items[0])


def _query(service: str, username: str) -> dict[str, str]:
    return {"service": service, "username": username}

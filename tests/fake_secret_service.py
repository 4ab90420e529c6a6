"""A Secret Service on a private D-Bus session bus, for the keychain backend's tests.

`dbus-daemon` (Debian package dbus-daemon; every Linux desktop has it) runs a bus of its own; a
thread answers on it as org.freedesktop.secrets with jeepney, keeping items in memory. It serves
what a keyring client uses: sessions ("plain" only, like a service that refuses the encrypted
algorithms, so keyring's own backend falls back to plain too), the default alias, one
collection and its items, locking, and prompts (completed at once, or dismissed when
`dismiss_prompts` is set).
"""

from __future__ import annotations

import itertools
import shutil
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from jeepney import DBusAddress, HeaderFields, MessageType, new_error, new_method_return, new_signal
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection

ROOT = "/org/freedesktop/secrets"
IFACE = "org.freedesktop.Secret."
COLLECTION = f"{ROOT}/collection/login"


def dbus_daemon_available() -> bool:
    return shutil.which("dbus-daemon") is not None


@dataclass
class Item:
    attributes: dict[str, str]
    label: str
    secret: bytes
    content_type: str


class ServiceError(Exception):
    """A D-Bus error reply; the message is the error's name."""


@dataclass
class FakeSecretService:
    """The service's state; tests read and change it while it runs."""
    items: dict[str, Item] = field(default_factory=dict)
    has_default_alias: bool = True
    locked: bool = False
    dismiss_prompts: bool = False
    algorithms: list[str] = field(default_factory=list)  # each OpenSession's algorithm
    prompts_shown: int = 0
    _serial: Any = field(default_factory=lambda: itertools.count(1))
    _prompts: dict[str, Callable[[], tuple[str, Any]]] = field(default_factory=dict)

    def handle(self, path: str, interface: str, member: str, body: tuple) -> tuple[str | None, tuple]:
        """The reply (signature, body) to one method call; raises ServiceError for an error."""
        if path == f"{ROOT}/aliases/default" and self.has_default_alias:
            path = COLLECTION  # the alias's own object path, which secretstorage tries first
        if member == "Get" and interface == "org.freedesktop.DBus.Properties":
            return "v", (("b", self.locked),)
        if member == "OpenSession":
            self.algorithms.append(body[0])
            if body[0] != "plain":
                raise ServiceError("org.freedesktop.DBus.Error.NotSupported")
            return "vo", (("s", ""), f"{ROOT}/session/{next(self._serial)}")
        if member == "ReadAlias":
            return "o", (COLLECTION if self.has_default_alias and body[0] == "default" else "/",)
        if member == "CreateCollection":
            return "oo", ("/", self._prompt(lambda: self._create_collection()))
        if member == "Unlock":
            if not self.locked:
                return "aoo", (list(body[0]), "/")
            return "aoo", ([], self._prompt(lambda: self._unlock(body[0])))
        if member == "Prompt":
            return None, ()
        if self.locked and member in ("GetSecret", "CreateItem", "Delete"):
            raise ServiceError("org.freedesktop.Secret.Error.IsLocked")
        if member == "SearchItems":
            return "ao", ([p for p, item in self.items.items()
                           if p.startswith(path + "/") and body[0].items() <= item.attributes.items()],)
        if member == "CreateItem":
            properties, (_session, _parameters, value, content_type), replace = body
            attributes = dict(properties[IFACE + "Item.Attributes"][1])
            same = [p for p, item in self.items.items() if item.attributes == attributes]
            item_path = same[0] if same and replace else f"{path}/{next(self._serial)}"
            self.items[item_path] = Item(attributes, properties[IFACE + "Item.Label"][1],
                                         bytes(value), content_type)
            return "oo", (item_path, "/")
        if member == "GetSecret":
            item = self.items[path]
            return "(oayays)", ((body[0], b"", item.secret, item.content_type),)
        if member == "Delete":
            del self.items[path]
            return "o", ("/",)
        raise ServiceError("org.freedesktop.DBus.Error.UnknownMethod")

    def _prompt(self, complete: Callable[[], tuple[str, Any]]) -> str:
        path = f"{ROOT}/prompt/{next(self._serial)}"
        self._prompts[path] = complete
        return path

    def prompt_shown(self, path: str) -> tuple[bool, tuple[str, Any]]:
        """The Completed signal's body for the prompt at `path`, which the client just showed."""
        self.prompts_shown += 1
        complete = self._prompts.pop(path)
        if self.dismiss_prompts:
            return True, ("s", "")
        return False, complete()

    def _create_collection(self) -> tuple[str, Any]:
        self.has_default_alias = True
        return "o", COLLECTION

    def _unlock(self, paths: list[str]) -> tuple[str, Any]:
        self.locked = False
        return "ao", list(paths)


class SecretServiceBus:
    """`with SecretServiceBus() as bus:` a private session bus (its address in `bus.address`)
    with a FakeSecretService (`bus.service`) answering on it."""

    def __init__(self) -> None:
        self.service = FakeSecretService()
        self.address = ""
        self._stop = threading.Event()

    def __enter__(self) -> SecretServiceBus:
        self._daemon = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                                        stdout=subprocess.PIPE, text=True)
        self.address = self._daemon.stdout.readline().strip()
        self._connection = open_dbus_connection(self.address)
        self._connection.send_and_get_reply(message_bus.RequestName("org.freedesktop.secrets"), timeout=5)
        self._thread = threading.Thread(target=self._serve, name="fake-secret-service", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._connection.close()
        self._daemon.terminate()
        self._daemon.wait(timeout=5)

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                message = self._connection.receive(timeout=0.05)
            except TimeoutError:
                continue
            except OSError:
                return
            if message.header.message_type != MessageType.method_call:
                continue
            fields = message.header.fields
            path, member = fields[HeaderFields.path], fields[HeaderFields.member]
            try:
                signature, body = self.service.handle(path, fields.get(HeaderFields.interface, ""),
                                                      member, message.body)
            except ServiceError as error:
                self._connection.send(new_error(message, str(error)))
                continue
            self._connection.send(new_method_return(message, signature, body))
            if member == "Prompt":  # the person answered the keychain's dialog
                emitter = DBusAddress(path, interface=IFACE + "Prompt")
                self._connection.send(new_signal(emitter, "Completed", "bv", self.service.prompt_shown(path)))

"""One window per user data folder: a second launch brings the running window forward and exits.

The first process takes a lock file in the data folder (QLockFile notices a crashed owner and
takes over its stale lock) and listens on a local socket named after that folder. A later process
that cannot take the lock connects to the socket, asks the first to show itself, and exits. Two
launches at the same moment cannot both win, because only the lock holder listens.

The key includes the data folder, so separate XDG/HOME folders (tests, a portable profile) are
separate instances.
"""

from __future__ import annotations

import hashlib
import logging
import time
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QLockFile, QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from hitl_desktop import APP_ID

log = logging.getLogger(__name__)

_ACTIVATE = b"activate\n"
_CONNECT_TIMEOUT_MS = 3000


class SingleInstance(QObject):
    """`acquire()` says whether this process is the primary; the primary emits `activationRequested`."""

    activationRequested = Signal()

    def __init__(self, data_dir: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._data_dir = data_dir
        digest = hashlib.sha256(str(data_dir.resolve()).encode("utf-8")).hexdigest()[:16]
        self.server_name = f"{APP_ID}-{digest}"
        self._lock: QLockFile | None = None
        self._server: QLocalServer | None = None

    def acquire(self) -> bool:
        """True if this process is the primary (or the guard cannot work here and is skipped)."""
        try:
            self._data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            log.warning("No single-instance guard: cannot create %s (%s)", self._data_dir, exc)
            return True
        lock = QLockFile(str(self._data_dir / "instance.lock"))
        lock.setStaleLockTime(0)  # never expire a live owner's lock; dead owners are detected
        if lock.tryLock(0):
            self._lock = lock
            self._listen()
            return True
        if lock.error() != QLockFile.LockError.LockFailedError:
            log.warning("No single-instance guard: lock file error %s", lock.error())
            return True
        return False

    def notify_primary(self) -> bool:
        """Ask the running primary to show its window. False if it could not be reached."""
        deadline = QDeadlineTimer(_CONNECT_TIMEOUT_MS)
        while not deadline.hasExpired():  # the primary may still be starting its server
            socket = QLocalSocket()
            socket.connectToServer(self.server_name)
            if socket.waitForConnected(200):
                socket.write(_ACTIVATE)
                sent = socket.waitForBytesWritten(1000)
                socket.disconnectFromServer()
                return sent
            time.sleep(0.1)  # brief pause before retrying
        return False

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        if self._lock is not None:
            self._lock.unlock()
            self._lock = None

    def _listen(self) -> None:
        # We hold the lock, so a socket file with our name is a leftover from a crash.
        QLocalServer.removeServer(self.server_name)
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        server.newConnection.connect(self._on_connection)
        if not server.listen(self.server_name):
            log.warning("Second launches cannot reach this window: %s", server.errorString())
            return
        self._server = server

    def _on_connection(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            # The message is one short line: wait for it here rather than keep per-socket state.
            arrived = socket.bytesAvailable() > 0 or socket.waitForReadyRead(1000)
            if arrived and bytes(socket.readAll().data()).startswith(_ACTIVATE.strip()):
                self.activationRequested.emit()
            socket.disconnectFromServer()
            socket.deleteLater()

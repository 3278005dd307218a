"""The control server of a running app (see ``softphone.control`` for the protocol).

Everything here runs on the GUI thread: QLocalServer delivers connections through the
event loop, and requests are answered there.

Each connection is owned by Python, not parented to the QLocalServer: PySide keeps a
Python reference from the server to every socket ``nextPendingConnection`` returns, and
a ``deleteLater`` of the socket does not drop it, so every request (``softphone status``
polls many times per call) leaked about 1 KiB. The server keeps its open connections in
a set and drops each one after it disconnects, which deletes the socket.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from softphone.control import MAX_REQUEST_BYTES

log = logging.getLogger(__name__)


class ControlServer(QObject):
    """Listens on ``name``; each connection sends one line and gets one line back."""

    def __init__(
        self, name: str, handler: Callable[[bytes], bytes], parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._handler = handler
        self._connections: set[QLocalSocket] = set()
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        QLocalServer.removeServer(name)  # a stale socket left by a crash
        if not self._server.listen(name):
            log.error("Control server could not listen on %s: %s", name,
                      self._server.errorString())
        self._server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            connection = self._server.nextPendingConnection()
            connection.setParent(None)  # Python owns it now; see the module docstring
            self._connections.add(connection)
            connection.readyRead.connect(self._ready_read)
            connection.disconnected.connect(self._disconnected)

    def open_connections(self) -> int:
        """How many client connections are alive (for tests)."""
        return len(self._connections)

    def _ready_read(self) -> None:
        connection = self.sender()
        if isinstance(connection, QLocalSocket):
            self._read(connection)

    def _disconnected(self) -> None:
        """Drop the connection once its signal is over; that deletes the socket."""
        connection = self.sender()
        if isinstance(connection, QLocalSocket):
            QTimer.singleShot(0, self, lambda: self._connections.discard(connection))

    def _read(self, connection: QLocalSocket) -> None:
        if connection.bytesAvailable() > MAX_REQUEST_BYTES:
            connection.abort()
            return
        if not connection.canReadLine():
            return
        line = bytes(connection.readLine().data())
        try:
            reply = self._handler(line)
        except Exception:
            log.exception("Control request failed (%d bytes)", len(line))
            reply = b'{"ok": false, "error": "internal error, see the log"}\n'
        connection.write(reply)
        connection.flush()
        connection.disconnectFromServer()

    def close(self) -> None:
        """Stop listening and hang up on the clients still connected."""
        self._server.close()
        connections, self._connections = self._connections, set()
        for connection in connections:
            connection.abort()

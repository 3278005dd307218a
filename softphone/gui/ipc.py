"""The control server of a running app (see ``softphone.control`` for the protocol).

Everything here runs on the GUI thread: QLocalServer delivers connections through the
event loop, and requests are answered there.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject
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
            connection.readyRead.connect(lambda c=connection: self._read(c))
            connection.disconnected.connect(connection.deleteLater)

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
            log.exception("Control request failed: %r", line[:200])
            reply = b'{"ok": false, "error": "internal error, see the log"}\n'
        connection.write(reply)
        connection.flush()
        connection.disconnectFromServer()

    def close(self) -> None:
        self._server.close()

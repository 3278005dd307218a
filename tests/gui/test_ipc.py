"""The control server: one answer per connection, and nothing left behind per request.

``softphone status`` is polled many times per call (the call benchmark polls every 50 ms),
so anything a request leaves behind grows the GUI's memory call after call.
"""

from __future__ import annotations

import gc
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from softphone.gui.ipc import ControlServer

REPLY = b'{"ok": true, "result": null}\n'


def live_sockets() -> int:
    """QLocalSocket wrappers still alive in Python (valid or not)."""
    gc.collect()
    return sum(isinstance(obj, QLocalSocket) for obj in gc.get_objects())


@dataclass
class Served:
    """A control server on a socket in the test's directory, and the requests it saw."""

    path: str
    requests: list[bytes] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.server = ControlServer(self.path, self.handle)

    def handle(self, raw: bytes) -> bytes:
        self.requests.append(raw)
        return REPLY


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    control = Served(str(tmp_path / "control.sock"))
    yield control
    control.server.close()
    control.server.deleteLater()


def exchange(qtbot: QtBot, path: str, payload: bytes) -> bytes:
    """One client request on another thread while the GUI thread serves it.

    A ``payload`` that is not a whole line is sent, then the client hangs up.
    """
    answers: list[bytes] = []

    def client() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(5)
            sock.connect(path)
            sock.sendall(payload)
            if not payload.endswith(b"\n"):
                return
            chunks = []
            while chunk := sock.recv(4096):
                chunks.append(chunk)
            answers.append(b"".join(chunks))

    thread = threading.Thread(target=client)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=5000)
    thread.join()
    return answers[0] if answers else b""


def test_each_request_gets_one_answer_and_the_connection_is_closed(
    qtbot: QtBot, served: Served
) -> None:
    assert exchange(qtbot, served.path, b'{"command": "status"}\n') == REPLY
    assert served.requests == [b'{"command": "status"}\n']


def test_requests_leave_no_sockets_behind(qtbot: QtBot, served: Served) -> None:
    before = live_sockets()
    for _ in range(30):
        assert exchange(qtbot, served.path, b'{"command": "status"}\n') == REPLY
    exchange(qtbot, served.path, b'{"command": ')  # hangs up mid-request
    exchange(qtbot, served.path, b"")  # hangs up without a word
    qtbot.waitUntil(lambda: live_sockets() == before, timeout=2000)
    assert served.server.open_connections() == 0


def test_closing_the_server_hangs_up_on_waiting_clients(
    qtbot: QtBot, served: Served
) -> None:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(served.path)
        qtbot.waitUntil(lambda: served.server.open_connections() == 1, timeout=2000)
        served.server.close()
        assert served.server.open_connections() == 0
        assert sock.recv(100) == b""

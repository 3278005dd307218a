"""Misbehaving network peers for the CRM client and the sync: fake HTTP servers that send
bad answers, and a TCP proxy that loses replies or holds requests.

All run on threads of the test process, on free loopback ports, and stop on ``stop()``
(or leaving their ``with`` block) even when a client is still connected.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable
from typing import Self

from tests.peers.net import LOOPBACK

# A raw HTTP reply (status line, headers, body) for one request line + headers + body.
Responder = Callable[[str, bytes], bytes]


def http_reply(status: int, body: bytes, content_type: str = "application/json",
               extra_headers: str = "", length: bool = True) -> bytes:
    """An HTTP/1.1 reply; without ``length`` the body runs until the connection closes."""
    head = f"HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nConnection: close\r\n"
    if length:
        head += f"Content-Length: {len(body)}\r\n"
    return (head + extra_headers + "\r\n").encode() + body


def _read_request(conn: socket.socket) -> tuple[str, bytes] | None:
    """The request line and its body (by Content-Length), or None if the client left."""
    raw = _read_raw_request(conn)
    if raw is None:
        return None
    head, _, body = raw.partition(b"\r\n\r\n")
    return head.decode("latin-1").split("\r\n")[0], body


def _read_raw_request(conn: socket.socket) -> bytes | None:
    """One whole request (head and Content-Length body) as sent, or None if the client
    left first."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


class _Listener:
    """Accepts connections on a free loopback port and hands each to ``handle`` on its own
    thread."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((LOOPBACK, 0))
        self._sock.listen(64)
        self.port: int = self._sock.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> Self:
        self._thread.start()
        return self

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._stopped.set()
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        self._sock.close()
        with self._lock:
            for conn in list(self._open):
                with contextlib.suppress(OSError):
                    conn.shutdown(socket.SHUT_RDWR)
                conn.close()
        self._thread.join(5)

    def _accept(self) -> None:
        while not self._stopped.is_set():
            try:
                conn, _addr = self._sock.accept()
            except OSError:
                return
            with self._lock:
                self._open.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except OSError:
            pass
        finally:
            with self._lock:
                self._open.discard(conn)
            conn.close()

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError


class FakeCrm(_Listener):
    """Answers every request with ``responder(request_line, body)`` (one request per
    connection). ``requests`` records the request lines."""

    def __init__(self, responder: Responder) -> None:
        super().__init__()
        self.responder = responder
        self.requests: list[str] = []

    def handle(self, conn: socket.socket) -> None:
        request = _read_request(conn)
        if request is None:
            return
        self.requests.append(request[0])
        conn.sendall(self.responder(*request))


class SilentServer(_Listener):
    """Accepts connections, reads the request and never answers."""

    def handle(self, conn: socket.socket) -> None:
        while not self._stopped.is_set() and conn.recv(65536):
            pass


class FaultProxy(_Listener):
    """A TCP proxy in front of ``upstream_port`` that can lose replies or hold requests.

    - ``drop_replies(n)``: the next ``n`` requests reach the server (which handles and
      commits them), but the connection is cut as soon as the reply starts, so the client
      never sees it.
    - ``hold = True``: requests are read and never forwarded (a black hole).
    """

    def __init__(self, upstream_port: int) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.hold = False
        self.dropped = 0
        self.forwarded = 0
        self.held = 0
        self._to_drop = 0

    def drop_replies(self, count: int) -> None:
        with self._lock:
            self._to_drop = count

    def _take_drop(self) -> bool:
        with self._lock:
            if self._to_drop > 0:
                self._to_drop -= 1
                return True
            return False

    def handle(self, conn: socket.socket) -> None:
        # One exchange per connection, so each request can be dropped or held on its own.
        request = _read_raw_request(conn)
        if request is None:
            return
        if self.hold:
            self.held += 1
            while not self._stopped.is_set() and conn.recv(65536):
                pass
            return
        drop = self._take_drop()
        with socket.create_connection((LOOPBACK, self.upstream_port), timeout=30) as up:
            up.sendall(_closing(request))
            self.forwarded += 1
            first = up.recv(65536)
            if drop:
                self.dropped += 1
                return  # the server answered (and committed); the client never sees it
            _relay_reply(up, conn, first)


def _closing(request: bytes) -> bytes:
    """``request`` asking the server to close after its reply, so one reply ends a turn."""
    head, _, body = request.partition(b"\r\n\r\n")
    lines = [line for line in head.split(b"\r\n")
             if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n" + body


def _relay_reply(up: socket.socket, conn: socket.socket, first: bytes) -> None:
    data = first
    while data:
        conn.sendall(data)
        data = up.recv(65536)

"""Noticing that the local address towards the registrar changed.

``local_address_towards`` is a pure-ish helper (a UDP socket ``connect`` picks the route;
no packet is sent). ``NetWatcher`` checks it every few seconds on its own thread and
calls ``on_change`` (which must be thread-safe: it only queues work for the main loop).
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)

CHECK_SECONDS = 3.0


def split_host_port(hostport: str, default_port: int = 5060) -> tuple[str, int]:
    """``host``, ``host:port``, ``[v6]:port`` as (host, port)."""
    text = hostport.strip()
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port = rest.lstrip(":")
    elif text.count(":") == 1:
        host, _, port = text.partition(":")
    else:
        host, port = text, ""
    return host, int(port) if port.isdigit() else default_port


def local_address_towards(host: str, port: int) -> str:
    """The local IP the OS would use to reach ``host`` ("" when there is no route)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)
    except OSError:
        return ""
    for family, _, _, _, address in infos:
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect(address)
                return str(sock.getsockname()[0])
        except OSError:
            continue
    return ""


class NetWatcher:
    """Polls the route to the registrar on a daemon thread ("netwatch")."""

    def __init__(self, on_change: Callable[[str, str], None]) -> None:
        self._on_change = on_change
        self._target: tuple[str, int] | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="netwatch", daemon=True)
        self._last = ""

    def watch(self, hostport: str) -> None:
        """Watch the route to ``host[:port]`` (main thread)."""
        self._target = split_host_port(hostport)
        self._last = ""
        if not self._thread.is_alive():
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        """netwatch thread: never calls pjsua2."""
        while not self._stop.wait(CHECK_SECONDS):
            target = self._target
            if target is None:
                continue
            address = local_address_towards(*target)
            if not address:
                continue
            if self._last and address != self._last:
                log.info("local address changed from %s to %s", self._last, address)
                self._on_change(self._last, address)
            self._last = address

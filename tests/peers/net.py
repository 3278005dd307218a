"""Loopback port allocation and bounded polling used by every peer in the harness."""

from __future__ import annotations

import random
import socket
import time
from collections.abc import Callable
from typing import Any, Literal

LOOPBACK = "127.0.0.1"
PortKind = Literal["udp", "tcp", "both"]

# Ports handed out by this process; never hand the same one out twice so that two peers
# started back to back cannot race for a port that the first has not bound yet.
_issued: set[int] = set()


def _can_bind(port: int, sock_type: int) -> bool:
    """Return True if ``port`` can be bound on the loopback address for ``sock_type``."""
    with socket.socket(socket.AF_INET, sock_type) as sock:
        if sock_type == socket.SOCK_STREAM:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


def _types_for(kind: PortKind) -> tuple[int, ...]:
    """Map a port kind to the socket types that must be free."""
    if kind == "udp":
        return (socket.SOCK_DGRAM,)
    if kind == "tcp":
        return (socket.SOCK_STREAM,)
    if kind == "both":
        return (socket.SOCK_DGRAM, socket.SOCK_STREAM)
    raise ValueError(f"unknown port kind {kind!r}")


def is_free(port: int, kind: PortKind = "udp") -> bool:
    """Return True if ``port`` can currently be bound on 127.0.0.1 for ``kind``."""
    return all(_can_bind(port, sock_type) for sock_type in _types_for(kind))


def free_port(kind: PortKind = "udp", low: int = 20000, high: int = 29999, span: int = 1) -> int:
    """Return a port on 127.0.0.1 that is currently free for ``kind`` (udp, tcp or both).

    Ports are picked at random from ``[low, high]``: far from the app's default 5060 and
    RTP 4000+ ranges and below the kernel's ephemeral range (32768+). Ports are never
    handed out twice within one process. With ``span`` > 1, the ``span - 1`` following
    ports are free (for ``kind``) and reserved as well, e.g. for baresip's SIP-TLS port+1.
    """
    for _ in range(500):
        port = random.randint(low, high - span + 1)
        ports = range(port, port + span)
        if any(p in _issued for p in ports):
            continue
        if all(is_free(p, kind) for p in ports):
            _issued.update(ports)
            return port
    raise RuntimeError(f"no free {kind} port found in {low}-{high}")


def free_port_range(size: int, low: int = 30000, high: int = 32766) -> tuple[int, int]:
    """Return ``(first, last)`` of ``size`` consecutive UDP ports that are currently free.

    Used for RTP port ranges of peers; ``first`` is even. The default window lies
    between the SIP ports handed out by :func:`free_port` and the ephemeral range.
    """
    for _ in range(500):
        first = random.randrange(low, high - size, 2)
        ports = range(first, first + size)
        if any(p in _issued for p in ports):
            continue
        if all(is_free(p, "udp") for p in ports):
            _issued.update(ports)
            return first, first + size - 1
    raise RuntimeError(f"no free UDP range of {size} ports in {low}-{high}")


def wait_until(
    predicate: Callable[[], object],
    timeout: float,
    interval: float = 0.05,
    message: str | Callable[[], str] = "",
) -> Any:
    """Poll ``predicate`` until it returns a truthy value and return that value.

    Raises AssertionError carrying ``message`` when ``timeout`` seconds pass first; a
    callable message is evaluated only then (e.g. to include the tail of a log).
    The predicate is always evaluated once more at the deadline.
    """
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            raise AssertionError(text or f"condition not met within {timeout:.1f}s")
        time.sleep(min(interval, max(0.0, deadline - time.monotonic())))


def port_accepts_tcp(port: int, host: str = LOOPBACK) -> bool:
    """Return True if something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False

"""The protocol channel: commands from stdin, events to the saved stdout fd.

``CommandReader`` runs a stdin reader thread that only decodes lines and puts them on a
queue (it never calls pjsua2). ``EventWriter`` runs a writer thread that writes each
event as one flushed line, so the main (pjsua) thread never blocks on a slow reader.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
from dataclasses import dataclass

from softphone.protocol import (
    MAX_LINE_BYTES,
    AudioLevels,
    Command,
    Event,
    ProtocolError,
    Register,
    decode,
    encode,
)

log = logging.getLogger(__name__)

#: Events waiting for the writer beyond this are dropped when they are only levels.
MAX_PENDING_EVENTS = 1000


@dataclass(frozen=True)
class EndOfInput:
    """stdin was closed: the GUI is gone."""


@dataclass(frozen=True)
class BadLine:
    """A line that was not a valid command."""

    error: str


Incoming = Command | EndOfInput | BadLine


def describe(command: Command) -> str:
    """A command for the log, never with the Register password."""
    if isinstance(command, Register):
        acc = command.account
        return f"Register(uri={acc.uri!r}, registrar={acc.registrar!r}, transport={acc.transport})"
    return repr(command)


class CommandReader:
    """Reads commands from a file descriptor on its own thread into ``self.queue``.

    It reads the raw fd with ``os.read`` (no buffered-reader lock), so a reader thread
    still blocked at interpreter exit cannot hang or abort the process.
    """

    def __init__(self, fd: int) -> None:
        self.queue: queue.Queue[Incoming] = queue.Queue()
        self._fd = fd
        self._thread = threading.Thread(target=self._run, name="stdin-reader", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        """stdin reader thread: split lines, decode them, never touch pjsua2."""
        pending = b""
        skipping = False  # inside an over-long line
        try:
            while chunk := os.read(self._fd, 65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if skipping:
                        skipping = False
                    elif line.strip():
                        self.queue.put(self._decode(line))
                if len(pending) > MAX_LINE_BYTES:
                    if not skipping:
                        self.queue.put(BadLine(f"command longer than {MAX_LINE_BYTES} bytes"))
                    skipping, pending = True, b""
        except OSError:  # a broken pipe is the same as the GUI going away
            log.exception("stdin reader failed")
        self.queue.put(EndOfInput())

    @staticmethod
    def _decode(line: bytes) -> Incoming:
        try:
            message = decode(line)
        except ProtocolError as exc:
            return BadLine(str(exc))
        if isinstance(message, Command):  # type: ignore[arg-type,misc]
            return message
        return BadLine(f"{type(message).__name__} is an event, not a command")


class EventWriter:
    """Writes events to ``fd`` on a writer thread; ``emit`` is safe from any thread."""

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._queue: queue.Queue[Event | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="stdout-writer", daemon=True)
        self._broken = False

    def start(self) -> None:
        self._thread.start()

    def emit(self, event: Event) -> None:
        """Queue one event (any thread). Levels are dropped when the GUI falls behind."""
        if isinstance(event, AudioLevels) and self._queue.qsize() > MAX_PENDING_EVENTS:
            return
        self._queue.put(event)

    def close(self, timeout: float = 2.0) -> None:
        """Flush what is queued and stop the writer thread (main thread)."""
        self._queue.put(None)
        self._thread.join(timeout)

    def _run(self) -> None:
        """Writer thread: one ``os.write`` loop per line so lines never interleave."""
        while (event := self._queue.get()) is not None:
            if self._broken:
                continue
            data = encode(event)
            try:
                while data:
                    written = os.write(self._fd, data)
                    data = data[written:]
            except OSError as exc:
                log.warning("protocol output closed: %s", exc)
                self._broken = True

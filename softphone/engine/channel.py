"""The protocol channel: commands from stdin, events to the saved stdout fd.

``CommandReader`` runs a stdin reader thread that only decodes lines and puts them on a
queue (it never calls pjsua2). ``EventWriter`` runs a writer thread that writes each
event as one flushed line, so the main (pjsua) thread never blocks on a slow reader.
"""

from __future__ import annotations

import dataclasses
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


#: Command fields that say whom the agent calls or what is typed on the keypad (a card
#: number, a PIN): customer data, never logged. ``describe`` leaves them out.
PRIVATE_FIELDS = frozenset({"target", "digits"})


def describe(command: Command) -> str:
    """A command for the log: never the Register password, a dialled number or address,
    a transfer target or DTMF digits (``Dial(call_id='out-1')``). Any thread."""
    if isinstance(command, Register):
        acc = command.account
        return f"Register(uri={acc.uri!r}, registrar={acc.registrar!r}, transport={acc.transport})"
    shown = ", ".join(f"{field.name}={getattr(command, field.name)!r}"
                      for field in dataclasses.fields(command)
                      if field.name not in PRIVATE_FIELDS)
    return f"{type(command).__name__}({shown})"


def error_for_log(error: str) -> str:
    """A bad line's error without the value it may quote (``Dial.target: 123 does not
    match ...`` gives ``Dial.target``): a wrongly typed field may hold a number."""
    return error.split(": ", 1)[0]


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

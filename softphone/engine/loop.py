"""The engine's main loop: it owns pjsua2 and dispatches commands.

Runs entirely on the main (pjsua) thread. Each turn it lets pjsua2 handle events for
up to 20 ms (SIP callbacks happen inside that call, which returns as soon as it handled
one), drains the command queue filled by the stdin reader thread, and does the periodic
work (auto-answer, levels, stats). A longer wait would only delay commands; a shorter
one wakes the process, and contends for the GIL with the audio callbacks, for nothing.
"""

from __future__ import annotations

import logging
import os
import queue
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType
from typing import Any

import pjsua2 as pj

from softphone import __version__
from softphone.engine.channel import (
    BadLine,
    CommandReader,
    EndOfInput,
    EventWriter,
    describe,
    error_for_log,
)
from softphone.engine.hotplug import DeviceWatcher
from softphone.engine.netwatch import NetWatcher
from softphone.engine.phone import Phone
from softphone.engine.report import report_bug, set_sink
from softphone.errors import EnvironmentalError, UserFacingError
from softphone.protocol import (
    Answer,
    Command,
    Configure,
    Decline,
    Dial,
    EngineError,
    EngineReady,
    Hangup,
    Hold,
    Mute,
    NetworkChanged,
    RefreshDevices,
    Register,
    Resume,
    SendDtmf,
    SetAudioPolicy,
    SetDevices,
    SetRingStyle,
    Shutdown,
    StartAudioTest,
    StopAudioTest,
    Transfer,
    Unregister,
)

log = logging.getLogger(__name__)

POLL_MS = 20
IDLE_WAIT_SECONDS = 0.05
LEVELS_SECONDS = 0.1
STATS_SECONDS = 2.0


@dataclass(frozen=True)
class AddressChanged:
    """Posted by the netwatch thread: the route to the registrar uses a new address."""

    old: str
    new: str


@dataclass(frozen=True)
class SoundDevicesChanged:
    """Posted by the devwatch thread: sound devices came or went."""

    alsa_changed: bool


class EngineLoop:
    """Reads commands, runs pjsua2, writes events (main thread)."""

    def __init__(self, reader: CommandReader, writer: EventWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.phone = Phone(writer.emit)
        self.netwatch = NetWatcher(self._on_address_change)
        self.devwatch = DeviceWatcher(self._on_devices_change)
        self._stopping = False
        self._next_levels = 0.0
        self._next_stats = 0.0
        self._handlers: dict[type[Any], Callable[[Any], None]] = {
            Configure: self._configure,
            Register: self._register,
            Unregister: lambda c: self.phone.unregister(),
            Dial: lambda c: self.phone.dial(c.call_id, c.target),
            Answer: lambda c: self.phone.answer(c.call_id),
            Decline: lambda c: self.phone.decline(c.call_id, c.code),
            Hangup: lambda c: self.phone.hangup(c.call_id),
            Hold: lambda c: self.phone.hold(c.call_id),
            Resume: lambda c: self.phone.resume(c.call_id),
            Mute: lambda c: self.phone.mute(c.muted),
            SendDtmf: lambda c: self.phone.send_dtmf(c.call_id, c.digits),
            Transfer: lambda c: self.phone.transfer(c.call_id, c.target),
            SetDevices: self.phone.set_devices,
            SetAudioPolicy: self.phone.set_audio_policy,
            SetRingStyle: lambda c: self.phone.set_ring_style(c.call_id, c.style),
            RefreshDevices: lambda c: self.phone.refresh_devices(),
            StartAudioTest: self.phone.start_audio_test,
            StopAudioTest: lambda c: self.phone.stop_audio_test(),
            NetworkChanged: lambda c: self.phone.network_changed(),
            Shutdown: lambda c: self.stop(),
        }

    def run(self) -> int:
        """Run until Shutdown, end of input or SIGTERM; returns the exit code."""
        set_sink(self.writer.emit)
        signal.signal(signal.SIGTERM, self._on_signal)
        self.writer.emit(EngineReady(pid=os.getpid(), version=__version__))
        while not self._stopping:
            self._turn()
        log.info("shutting down")
        self.netwatch.stop()
        self.devwatch.stop()
        try:
            self.phone.shutdown(self._poll_for)
        except Exception as exc:
            report_bug("shutdown", exc)
        log.info("engine stopped")
        return 0

    def stop(self) -> None:
        self._stopping = True

    def _on_signal(self, signum: int, frame: FrameType | None) -> None:
        """Main thread (Python runs signal handlers there): stop at the next turn."""
        log.info("signal %d: stopping", signum)
        self._stopping = True

    def _turn(self) -> None:
        stack = self.phone.stack
        try:
            if stack is not None:
                stack.poll(POLL_MS)
                self._drain(block=False)
            else:
                self._drain(block=True)
            self.phone.tick()
            self._periodic()
        except Exception as exc:
            report_bug("main loop", exc)

    def _poll_for(self, seconds: float) -> None:
        """Handle pjsua2 events for ``seconds`` (used during shutdown)."""
        stack = self.phone.stack
        deadline = time.monotonic() + seconds
        while stack is not None and time.monotonic() < deadline:
            stack.poll(POLL_MS)

    def _drain(self, block: bool) -> None:
        try:
            item = (
                self.reader.queue.get(timeout=IDLE_WAIT_SECONDS)
                if block
                else (self.reader.queue.get_nowait())
            )
        except queue.Empty:
            return
        while True:
            self._handle(item)
            try:
                item = self.reader.queue.get_nowait()
            except queue.Empty:
                return

    def _handle(self, item: Any) -> None:
        if isinstance(item, EndOfInput):
            log.info("stdin closed: stopping")
            self._stopping = True
        elif isinstance(item, BadLine):
            error = error_for_log(item.error)
            log.error("bad command: %s", error)
            self.writer.emit(EngineError("bug", f"Bad command: {error}"))
        elif isinstance(item, AddressChanged):
            self.phone.network_changed()
        elif isinstance(item, SoundDevicesChanged):
            try:
                self.phone.devices_changed(item.alsa_changed)
            except Exception as exc:
                report_bug("sound devices changed", exc)
        else:
            self._dispatch(item)

    def _dispatch(self, command: Command) -> None:
        log.info("command %s", describe(command))
        handler = self._handlers[type(command)]
        try:
            handler(command)
        except UserFacingError as exc:
            self.writer.emit(EngineError("user", str(exc)))
        except EnvironmentalError as exc:
            self.writer.emit(EngineError("environment", str(exc)))
        except pj.Error as exc:
            log.warning("%s failed: %s", type(command).__name__, exc.info())
            message = f"{type(command).__name__} failed: {exc.reason}"
            self.writer.emit(EngineError("environment", message, str(exc.info())))
        except Exception as exc:
            report_bug(type(command).__name__, exc)

    def _configure(self, command: Configure) -> None:
        self.phone.configure(command.config)
        self.devwatch.start()

    def _on_devices_change(self, alsa_changed: bool) -> None:
        """devwatch thread: hand the change to the main loop."""
        self.reader.queue.put(SoundDevicesChanged(alsa_changed))  # type: ignore[arg-type]

    def _register(self, command: Register) -> None:
        self.phone.register(command.account)
        self.netwatch.watch(self.phone.registrar_hostport())

    def _on_address_change(self, old: str, new: str) -> None:
        """netwatch thread: hand the change to the main loop."""
        self.reader.queue.put(AddressChanged(old, new))  # type: ignore[arg-type]

    def _periodic(self) -> None:
        now = time.monotonic()
        if now >= self._next_levels:
            self._next_levels = now + LEVELS_SECONDS
            levels = self.phone.audio_levels()
            if levels is not None:
                self.writer.emit(levels)
        if now >= self._next_stats:
            self._next_stats = now + STATS_SECONDS
            for stats in self.phone.stream_stats():
                self.writer.emit(stats)

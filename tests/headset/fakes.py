"""Stand-ins for a headset, the system's device list, the phone and the clock.

There is no virtual HID device on these machines, so a :class:`FakeTransport` replays
input reports queued by the test and records the output reports the app writes.
:class:`RecordingPhone` is a small stand-in for :class:`softphone.phone.Phone`: it
keeps a real ``PhoneState``, publishes the same events as the real phone does when the
engine reports them, and records the actions the headset asks for.
"""

from __future__ import annotations

import errno
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from softphone import protocol
from softphone.headset.transport import DeviceInfo, Transport
from softphone.phone import Call, PhoneEvent, PhoneState

WAIT_SECONDS = 10.0  # generous: the suite must hold on a loaded two-core machine


def wait_until(predicate: Callable[[], object], what: str,
               timeout: float = WAIT_SECONDS) -> None:
    """Poll ``predicate`` until true; fail with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.005)


class FakeClock:
    """Monotonic time that moves only when the test says so."""

    def __init__(self, start: float = 1000.0) -> None:
        self._now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self._now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class FakeTransport:
    """One plugged-in headset: queued input reports, recorded output reports."""

    def __init__(self, descriptor: bytes) -> None:
        self._descriptor = descriptor
        self._inputs: queue.SimpleQueue[bytes | OSError] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._written: list[bytes] = []
        self._sent = 0
        self._delivered = 0
        self._processed = 0
        self.closed = threading.Event()
        self.on_write: Callable[[bytes], None] | None = None

    # what the app calls (the reader thread)
    def read(self, timeout: float) -> bytes | None:
        with self._lock:
            self._processed = self._delivered  # the reader finished the last report
        try:
            report = self._inputs.get(timeout=timeout)
        except queue.Empty:
            return None
        if isinstance(report, OSError):
            raise report
        with self._lock:
            self._delivered += 1
        return report

    def write(self, report: bytes) -> None:
        with self._lock:
            self._written.append(report)
        if self.on_write is not None:
            self.on_write(report)

    def descriptor(self) -> bytes:
        return self._descriptor

    def close(self) -> None:
        self.closed.set()

    # what the test calls
    def send(self, report: bytes) -> int:
        """Queue one input report; returns how many were sent so far, this one included
        (wait for ``processed()`` to reach it)."""
        with self._lock:
            self._sent += 1
            sent = self._sent
        self._inputs.put(report)
        return sent

    def unplug(self) -> None:
        self._inputs.put(OSError(errno.ENODEV, "No such device"))

    def processed(self) -> int:
        """Input reports the app has finished handling."""
        with self._lock:
            return self._processed

    @property
    def written(self) -> list[bytes]:
        with self._lock:
            return list(self._written)


@dataclass
class FakeBackend:
    """The system's headsets: which are plugged in, which the system refuses to open."""

    descriptors: dict[str, bytes] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    denied: set[str] = field(default_factory=set)
    opened: list[FakeTransport] = field(default_factory=list)
    open_attempts: int = 0
    scans: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def plug(self, path: str, name: str, descriptor: bytes) -> None:
        with self._lock:
            self.descriptors[path] = descriptor
            self.names[path] = name

    def unplug(self, path: str) -> None:
        with self._lock:
            self.descriptors.pop(path, None)
        for transport in self.opened:
            transport.unplug()

    def devices(self) -> list[DeviceInfo]:
        with self._lock:
            self.scans += 1
            return [DeviceInfo(path, 0x0B0E, 0x1234, self.names[path])
                    for path in sorted(self.descriptors)]

    def open(self, device: DeviceInfo) -> Transport:
        with self._lock:
            self.open_attempts += 1
            if device.path in self.denied:
                raise PermissionError(errno.EACCES, "Permission denied", device.path)
            descriptor = self.descriptors.get(device.path)
        if descriptor is None:
            raise OSError(errno.ENOENT, "No such device", device.path)
        transport = FakeTransport(descriptor)
        self.opened.append(transport)
        return transport

    def last(self) -> FakeTransport:
        return self.opened[-1]


class RecordingPhone:
    """A stand-in for :class:`softphone.phone.Phone` (see the module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._state = PhoneState()
        self._subscribers: list[Callable[[PhoneEvent], None]] = []
        self._actions: list[tuple[str, object]] = []
        self.answered_at: list[float] = []  # perf_counter of each answer, for the benchmark

    # the Phone API the headset uses
    def subscribe(self, subscriber: Callable[[PhoneEvent], None]) -> None:
        self._subscribers.append(subscriber)

    def snapshot(self) -> PhoneState:
        with self._lock:
            return PhoneState(calls={k: Call(**vars(c)) for k, c in self._state.calls.items()},
                              muted=self._state.muted)

    def answer(self, call_id: str | None = None) -> str | None:
        self.answered_at.append(time.perf_counter())
        self._record("answer", call_id)
        return call_id

    def hangup(self, call_id: str | None = None) -> str | None:
        self._record("hangup", call_id)
        return call_id

    def hold(self, call_id: str | None = None) -> None:
        self._record("hold", call_id)

    def resume(self, call_id: str | None = None) -> None:
        self._record("resume", call_id)

    def set_muted(self, muted: bool) -> None:
        self._record("set_muted", muted)

    def redial(self) -> str | None:
        self._record("redial", None)
        return "out-redial"

    def _record(self, name: str, value: object) -> None:
        with self._lock:
            self._actions.append((name, value))

    @property
    def actions(self) -> list[tuple[str, object]]:
        with self._lock:
            return list(self._actions)

    # what the engine would report, applied and published as the real phone does
    def ring(self, call_id: str) -> None:
        remote = protocol.RemoteParty(number="+15550100")
        with self._lock:
            self._state.calls[call_id] = Call(call_id, "incoming", "incoming", remote)
        self._publish(protocol.IncomingCall(call_id, remote))

    def confirm(self, call_id: str, direction: protocol.Direction = "incoming") -> None:
        with self._lock:
            call = self._state.calls.setdefault(
                call_id, Call(call_id, direction, "confirmed", protocol.RemoteParty()))
            call.state = "confirmed"
        self._publish(protocol.CallStateChanged(call_id, "confirmed", direction,
                                                protocol.RemoteParty()))

    def set_hold(self, call_id: str, held: bool) -> None:
        with self._lock:
            self._state.calls[call_id].local_hold = held
        self._publish(protocol.MediaStateChanged(call_id, True, local_hold=held))

    def mute_changed(self, muted: bool) -> None:
        with self._lock:
            self._state.muted = muted
        self._publish(protocol.MuteChanged(muted))

    def end(self, call_id: str) -> None:
        with self._lock:
            call = self._state.calls.pop(call_id)
        self._publish(protocol.CallStateChanged(call_id, "disconnected", call.direction,
                                                call.remote))

    def _publish(self, event: PhoneEvent) -> None:
        for subscriber in list(self._subscribers):
            subscriber(event)

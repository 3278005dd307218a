"""A real Phone, not started, driven the way its engine would drive it.

The Phone, Settings, CacheStore and CallHistory are the real ones, on a temporary
directory. The engine process is not started: events go in through
``phone._handle_engine_event`` (what the supervisor's reader thread calls) and crashes
through ``phone._handle_crash``; commands the phone sends are recorded by replacing
``phone._supervisor.send``. Used by the tests and by ``tests.gui.screenshots``.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from softphone import protocol
from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore
from softphone.context import AppContext
from softphone.paths import Profile
from softphone.phone import Phone
from softphone.secrets import SecretStore
from softphone.settings import Settings
from softphone.storage.history import CallHistory


class FakeClock:
    """The GUI's clock for call timers; starts at the real time, moves when told."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass
class RestartedEngine:
    """What ``Phone._configure_engine`` needs of a new engine: its pid and a pipe to it."""

    pid: int
    sent: list[protocol.Command]

    def send(self, command: protocol.Command) -> bool:
        self.sent.append(command)
        return True


@dataclass
class PhoneHarness:
    """A real phone and its context, with a recorder for the commands it sends."""

    root: Path
    sent: list[protocol.Command] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.settings = Settings(self.root / "config" / "settings.toml")
        self.database = CacheStore(self.root / "data" / "cache.sqlite3", CacheKey(new_key_hex()))
        self.history = CallHistory(self.database)
        self.phone = Phone(self.settings, self.history, password_provider=lambda: "x")
        self.phone._supervisor.send = self._record  # type: ignore[method-assign]
        secrets = SecretStore(service=f"softphone-test-{uuid.uuid4().hex[:8]}")
        self.context = AppContext(Profile.from_dir(self.root), self.settings, secrets,
                                  self.database, self.history, self.phone)
        self.context.keyring_available = secrets.available()

    def _record(self, command: protocol.Command) -> bool:
        self.sent.append(command)
        return True

    def close(self) -> None:
        self.database.close()

    # ---------------------------------------------------------------- what the engine says

    def emit(self, *events: protocol.Event) -> None:
        for event in events:
            self.phone._handle_engine_event(event)

    def register(self, state: str = "registered", reason: str = "", code: int = 200) -> None:
        self.emit(protocol.RegistrationChanged(state, reason, code))  # type: ignore[arg-type]

    def ring(self, call_id: str, name: str, number: str) -> protocol.RemoteParty:
        remote = protocol.RemoteParty(name, number, f"sip:{number}@pbx.example.com")
        self.emit(protocol.IncomingCall(call_id, remote),
                  protocol.CallStateChanged(call_id, "incoming", "incoming", remote))
        return remote

    def connect(self, call_id: str, direction: str = "incoming") -> None:
        remote = self.phone.snapshot().calls[call_id].remote
        self.emit(protocol.CallStateChanged(call_id, "confirmed", direction, remote, 200),  # type: ignore[arg-type]
                  protocol.MediaStateChanged(call_id, True))

    def hold(self, call_id: str, held: bool = True) -> None:
        self.emit(protocol.MediaStateChanged(call_id, True, local_hold=held))

    def hang_up(self, call_id: str) -> None:
        call = self.phone.snapshot().calls[call_id]
        self.emit(protocol.CallStateChanged(call_id, "disconnected", call.direction,
                                            call.remote, 200, "Normal call clearing"))

    def crash(self, pid: int = 4242) -> None:
        self.phone._handle_crash(pid, -6)

    def restart(self, pid: int = 4343) -> list[protocol.Command]:
        """The supervisor's restart path: the new engine is configured, then announced."""
        engine = RestartedEngine(pid, [])
        self.phone._configure_engine(engine)  # type: ignore[arg-type]
        return engine.sent

    # ---------------------------------------------------------------- what the phone sent

    def commands(self, kind: type[object]) -> list[object]:
        return [command for command in self.sent if isinstance(command, kind)]

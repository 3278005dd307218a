"""The real phone engine as a child process, driven over its stdin/stdout protocol.

``start_agent`` starts one, configured with free SIP and RTP ports and the PulseAudio
test devices; ``stop_agent`` stops it and fails when it did not exit cleanly.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from softphone import protocol as P
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, free_port_range
from tests.peers.procs import tail

REPO = Path(__file__).resolve().parents[2]
E = TypeVar("E")


class EngineProcess:
    """``python -m softphone.engine`` as a child; commands in, events out, bounded waits."""

    def __init__(self, work_dir: Path) -> None:
        self.log_path = work_dir / "engine.log"
        self.stderr_path = work_dir / "engine.stderr"
        self.events: list[P.Event] = []
        self._queue: queue.Queue[P.Event | None] = queue.Queue()
        with open(self.stderr_path, "wb") as stderr:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "softphone.engine",
                 "--log-file", str(self.log_path), "--log-level", "DEBUG"],
                cwd=REPO, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr,
                env={**os.environ, "PYTHONPATH": str(REPO)},
            )  # fmt: skip
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._seen: dict[type[Any], int] = {}

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            event = P.decode(line)
            self.events.append(event)  # type: ignore[arg-type]
            self._queue.put(event)  # type: ignore[arg-type]
        self._queue.put(None)

    def send(self, command: P.Command) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(P.encode(command))
        self.proc.stdin.flush()

    def wait(
        self,
        kind: type[E],
        predicate: Callable[[E], bool] = lambda e: True,
        timeout: float = 15.0,
    ) -> E:
        """The first event of ``kind`` matching ``predicate`` after the last one returned.

        Each kind has its own cursor, so waiting for a call state does not skip a media
        event that arrived just before it.
        """
        deadline = time.monotonic() + timeout
        start = self._seen.get(kind, 0)
        while True:
            for index in range(start, len(self.events)):
                event = self.events[index]
                if isinstance(event, kind) and predicate(event):
                    self._seen[kind] = index + 1
                    return event
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                shown = [e for e in self.events[start:] if not isinstance(e, P.AudioLevels)]
                raise AssertionError(
                    f"no {kind.__name__} within {timeout}s; later events: {shown[-15:]}\n"
                    f"engine log:\n{tail(self.log_path, 30)}"
                )
            try:
                if self._queue.get(timeout=min(remaining, 0.2)) is None and not self.alive:
                    raise AssertionError(f"engine exited\n{tail(self.stderr_path)}")
            except queue.Empty:
                pass

    def skip(self, kind: type[Any]) -> None:
        """Make the next ``wait(kind)`` look only at events that arrive from now on."""
        self._seen[kind] = len(self.events)

    def all_of(self, kind: type[E]) -> list[E]:
        return [e for e in self.events if isinstance(e, kind)]

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> int | None:
        """Shutdown over the protocol, then SIGTERM, then SIGKILL."""
        if self.alive:
            try:
                self.send(P.Shutdown())
                self.proc.stdin.close()  # type: ignore[union-attr]
                return self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                pass
        if self.alive:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
        return self.proc.returncode


class Agent:
    """A started, configured engine with the devices of the pulse fixture."""

    def __init__(self, engine: EngineProcess, kamailio: Kamailio, sip_port: int) -> None:
        self.engine = engine
        self.kamailio = kamailio
        self.sip_port = sip_port

    def account(self, user: str = "agent", password: str = "agentpw") -> P.AccountConfig:
        return P.AccountConfig(
            uri=self.kamailio.aor(user),
            registrar="",
            username="",
            password=password,
            display_name="Agent Smith",
            register_retry_seconds=2,
        )

    def register(self, user: str = "agent", password: str = "agentpw") -> None:
        self.engine.send(P.Register(self.account(user, password)))
        self.engine.wait(P.RegistrationChanged, lambda e: e.state == "registered")
        self.kamailio.wait_registered(user)


def start_agent(kamailio: Kamailio, work_dir: Path, **config: Any) -> Agent:
    """Start and configure an engine (free SIP and RTP ports) with the pulse devices."""
    engine = EngineProcess(work_dir)
    try:
        engine.wait(P.EngineReady)
        sip_port = free_port("both")
        rtp_first, _ = free_port_range(40)
        engine.send(
            P.Configure(
                P.EngineConfig(
                    sip_port=sip_port,
                    rtp_port=rtp_first,
                    rtp_port_range=40,
                    sip_trace=True,
                    **config,
                )
            )
        )
        engine.wait(P.Configured, lambda e: e.sip_port == sip_port)
        engine.send(P.SetDevices(microphone="headset_mic", speaker="headset", ringer="ringer"))
        engine.wait(P.DevicesChanged, lambda e: e.speaker == "headset")
    except BaseException:
        engine.stop()
        raise
    return Agent(engine, kamailio, sip_port)


def stop_agent(agent: Agent) -> None:
    engine = agent.engine
    code = engine.stop()
    # pytest shows captured teardown output only when the test failed.
    print(f"\n----- engine exit {code}; log tail -----\n{tail(engine.log_path, 80)}")
    print(f"----- engine stderr -----\n{tail(engine.stderr_path, 30)}")
    assert code == 0, f"engine exited with {code}"

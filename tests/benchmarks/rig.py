"""The peers and the app for one benchmark run, built from the test harness classes.

Kamailio (registrar/proxy), a private PulseAudio with null sinks, one baresip
("customer", auto-answer) and the real app (GUI offscreen plus its engine process).
:meth:`Rig.close` stops everything it started, also after a failure.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any

import keyring

from tests.app_process import RunningApp
from tests.peers.audio import write_tone
from tests.peers.baresip import Baresip
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port
from tests.peers.pulse import Playback, PulseAudio

USERS = {"agent": "agentpw", "customer": "customerpw"}
AGENT_TONE_HZ = 600.0
CALL_TIMEOUT = 20.0

Log = Callable[[str], None]


class Rig:
    """Everything one run needs; use as a context manager."""

    def __init__(self, work_dir: Path, log: Log) -> None:
        self.work_dir = work_dir
        self.log = log
        self.pulse = PulseAudio(work_dir / "pulse")
        self.kamailio = Kamailio(USERS, work_dir / "kamailio")
        self.customer: Baresip | None = None
        self.app: RunningApp | None = None
        self.profile_dir = work_dir / "profile"
        self.rtp_port = free_port("udp", low=10000, high=19000)
        self._mic_tone: Playback | None = None
        self._output_offset = 0
        self.exits: list[dict[str, Any]] = []  # how each stopped app exited
        self._stack = contextlib.ExitStack()

    # ----------------------------------------------------------------- peers
    def start_peers(self) -> None:
        """Start PulseAudio, Kamailio and the auto-answering baresip; store the password."""
        self._stack.callback(self.pulse.stop)
        self.pulse.start()
        self._stack.callback(self.kamailio.stop)
        self.kamailio.start()
        self.customer = Baresip(
            "customer", USERS["customer"], self.work_dir / "baresip-customer",
            (self.kamailio.host, self.kamailio.port), auto_answer=True, sip_trace=False,
        )  # fmt: skip
        self._stack.callback(self.customer.stop)
        self.customer.start()
        self.customer.wait_registered()
        keyring.set_password("softphone", "sip", USERS["agent"])
        self._stack.callback(_forget_password)

    @property
    def baresip(self) -> Baresip:
        assert self.customer is not None, "peers not started"
        return self.customer

    @property
    def baresip_pid(self) -> int:
        return self.baresip.pid

    def start_mic_tone(self) -> None:
        """Loop a tone into the microphone so calls carry real audio."""
        if self._mic_tone is None:
            wav = write_tone(self.work_dir / "agent-tone.wav", AGENT_TONE_HZ, 60, rate=16000)
            self._mic_tone = self.pulse.play_into_mic(wav, loop=True)

    def stop_mic_tone(self) -> None:
        if self._mic_tone is not None:
            self._mic_tone.stop()
            self._mic_tone = None

    # ----------------------------------------------------------------- the app
    def configure_app(self, log_level: str) -> None:
        """Write the app's settings (one ``softphone config set`` per value)."""
        app = RunningApp(self.profile_dir, self.pulse.env)
        app.configure(
            sip__uri=f"sip:agent@{self.kamailio.host}:{self.kamailio.port}",
            sip__registrar=self.kamailio.registrar_uri,
            sip__rtp_port=str(self.rtp_port),
            audio__microphone="headset_mic",
            audio__speaker="headset",
            audio__ringer="ringer",
            log__level=log_level,
        )

    def set_log_level(self, level: str) -> None:
        RunningApp(self.profile_dir, self.pulse.env).configure(log__level=level)

    def start_app(self) -> float:
        """Start the app; return seconds from launch until it reports "registered"."""
        app = RunningApp(self.profile_dir, self.pulse.env)
        self.app = app
        self._output_offset = app.log_path.stat().st_size if app.log_path.exists() else 0
        started = time.monotonic()
        app.start()
        app.wait_registered(timeout=30)
        return time.monotonic() - started

    @property
    def running_app(self) -> RunningApp:
        assert self.app is not None, "app not started"
        return self.app

    def pids(self) -> dict[str, int]:
        """PIDs of the GUI process, the engine process and the baresip peer."""
        app = self.running_app
        assert app.process is not None
        return {
            "gui": app.process.pid,
            "engine": int(app.status()["engine"]["pid"]),
            "baresip": self.baresip_pid,
        }

    def app_alive(self) -> bool:
        app = self.app
        return app is not None and app.process is not None and app.process.poll() is None

    def _fatal_line(self, app: RunningApp) -> str | None:
        """The first "Fatal ..." line the app printed since it was started."""
        if not app.log_path.exists():
            return None
        with open(app.log_path, "rb") as output:
            output.seek(self._output_offset)
            text = output.read().decode("utf-8", "replace")
        return next((line.strip() for line in text.splitlines() if "Fatal" in line), None)

    def app_exit_reason(self) -> str:
        """Exit code and the first fatal line of the app's output, after it exited."""
        app = self.running_app
        code = None if app.process is None else app.process.poll()
        fatal = self._fatal_line(app)
        return f"exit code {code}" + (f", {fatal}" if fatal else "")

    def stop_app(self) -> None:
        """Stop the app (SIGTERM, as the harness does) and note how it exited."""
        app, self.app = self.app, None
        if app is None or app.process is None:
            return
        app.stop()
        self.exits.append({"code": app.process.returncode, "fatal": self._fatal_line(app)})

    # ----------------------------------------------------------------- calls
    def dial_customer(self) -> str:
        """App dials the customer (auto-answer); wait until the call is confirmed."""
        app = self.running_app
        call_id = str(app.request("dial", target=self.kamailio.aor("customer"))["call_id"])
        app.wait_status(
            lambda s: any(c["id"] == call_id and c["state"] == "confirmed" for c in s["calls"]),
            CALL_TIMEOUT, f"call {call_id} not confirmed",
        )  # fmt: skip
        return call_id

    def hang_up(self, call_id: str | None = None) -> None:
        """Hang up (all calls if ``call_id`` is None) and wait until none is listed."""
        app = self.running_app
        for call in app.calls():
            if call_id is None or call["id"] == call_id:
                with contextlib.suppress(Exception):
                    app.request("hangup", call_id=call["id"])
        app.wait_status(lambda s: not s["calls"], CALL_TIMEOUT, "call still listed")
        if self.baresip.calls:
            self.baresip.wait_call_closed(timeout=CALL_TIMEOUT)

    def engine_log(self) -> Path:
        return self.running_app.profile.log_dir / "engine.log"

    # ----------------------------------------------------------------- teardown
    def close(self) -> None:
        """Stop the app, the tone and the peers (in reverse start order)."""
        try:
            self.stop_app()
            self.stop_mic_tone()
        finally:
            self._stack.close()

    def __enter__(self) -> Rig:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _forget_password() -> None:
    with contextlib.suppress(Exception):
        keyring.delete_password("softphone", "sip")

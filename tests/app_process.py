"""The real app, started as a process the way an agent starts it, for end-to-end tests.

The GUI runs offscreen; the test drives it through the same control channel the
``softphone`` command uses, and reads its state with ``status``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import keyring
import keyring.errors

from softphone import control
from softphone.paths import Profile
from tests.peers import procs
from tests.peers.fixtures import USERS
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, wait_until


class RunningApp:
    def __init__(self, profile_dir: Path, env: dict[str, str]) -> None:
        self.profile_dir = profile_dir
        self.profile = Profile.from_dir(profile_dir)
        self.env = {**os.environ, **env, "QT_QPA_PLATFORM": "offscreen"}
        self.log_path = profile_dir / "app-output.log"
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "softphone", "--profile", str(self.profile_dir), *args],
            input=stdin, capture_output=True, text=True, env=self.env, timeout=60,
        )

    def configure(self, **values: str) -> None:
        for name, value in values.items():
            result = self.cli("config", "set", name.replace("__", "."), value)
            assert result.returncode == 0, result.stderr

    def start(self) -> RunningApp:
        self.profile_dir.mkdir(parents=True, exist_ok=True)
        output = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "softphone", "--profile", str(self.profile_dir)],
            stdout=output, stderr=subprocess.STDOUT, env=self.env, start_new_session=True,
        )
        output.close()
        procs.watch_group(self.process.pid)  # killed even if the test run dies hard
        wait_until(self._answers, timeout=30,
                   message="the app never answered on its control channel")
        return self

    def _answers(self) -> bool:
        assert self.process is not None
        assert self.process.poll() is None, f"app exited: {self.output_tail()}"
        try:
            self.request("status")
        except (control.NotRunning, OSError):
            return False
        return True

    def request(self, command: str, **fields: Any) -> Any:
        return control.send_request(self.profile, {"command": command, **fields})

    def status(self) -> dict[str, Any]:
        result: dict[str, Any] = self.request("status")
        return result

    def wait_status(
        self, predicate: Any, timeout: float = 20.0, message: str = ""
    ) -> dict[str, Any]:
        seen: dict[str, Any] = {}

        def check() -> bool:
            seen.update(self.status())
            return bool(predicate(seen))

        wait_until(check, timeout=timeout,
                   message=lambda: f"{message}; last status: {json.dumps(seen)}")
        return seen

    def wait_registered(self, timeout: float = 20.0) -> dict[str, Any]:
        return self.wait_status(lambda s: s["registration"]["state"] == "registered",
                                timeout, "app did not register")

    def calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.status()["calls"]
        return calls

    def output_tail(self, lines: int = 60) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        logs = self.profile.log_dir
        for name in ("softphone.log", "engine.log"):
            if (logs / name).exists():
                text += f"\n--- {name}\n" + (logs / name).read_text(errors="replace")
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> int | None:
        """Quit the app as the desktop does (SIGTERM); return its exit status.

        Whatever is left of its process group (an engine orphaned by a crashed GUI) is
        killed too.
        """
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        procs.stop(self.process, grace=2.0)
        return self.process.returncode


@contextmanager
def agent_keyring() -> Iterator[None]:
    """The agent's SIP password in the session keyring; the entries the app made with it
    (the password and the cache key) removed at the end."""
    keyring.set_password("softphone", "sip", USERS["agent"])
    try:
        yield
    finally:
        for entry in ("sip", "cache-key"):
            with contextlib.suppress(keyring.errors.PasswordDeleteError):
                keyring.delete_password("softphone", entry)


def agent_settings(kamailio: Kamailio) -> dict[str, str]:
    """The agent's account at the test Kamailio, a free RTP port and the null-sink
    devices, as ``configure`` keywords."""
    return {
        "sip__uri": f"sip:agent@{kamailio.host}:{kamailio.port}",
        "sip__rtp_port": str(free_port("udp", low=10000, high=19000)),
        "audio__microphone": "headset_mic", "audio__speaker": "headset",
        "audio__ringer": "ringer",
    }


@contextmanager
def running(app: RunningApp, tail: int = 80) -> Iterator[RunningApp]:
    """Start ``app``; stop it afterwards, even on failure, and require a clean exit."""
    try:
        yield app.start()
    finally:
        exit_code = app.stop()
        print(app.output_tail(tail))
    assert exit_code == 0, f"the app did not quit cleanly: {app.output_tail(40)}"

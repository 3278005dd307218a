"""The PyInstaller build of the app, as IT deploys it: its programs, its files, and a call.

The build is made once per set of sources (tests/packaging/frozen.py); the end-to-end
test runs the built programs against Kamailio, baresip and PulseAudio like
tests/test_app_e2e.py does with ``python -m softphone``. Select with ``-m build``.
"""

from __future__ import annotations

import json
import os
import selectors
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from softphone import __version__
from softphone import protocol as P
from tests.app_process import agent_settings, running
from tests.packaging.frozen import PROGRAMS, FrozenApp, FrozenBuild, frozen_env
from tests.peers.audio import dominant_frequency
from tests.peers.fixtures import USERS, BaresipFactory, ToneFactory
from tests.peers.kamailio import Kamailio
from tests.peers.pulse import PulseAudio

pytest.importorskip("PyInstaller", reason="the build tests need PyInstaller (test extra)")
pytestmark = [
    pytest.mark.build,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="builds the Linux app"),
    # The first test also waits for the build (about 1.5 min on two idle cores).
    pytest.mark.timeout(1200),
]

CUSTOMER_TONE_HZ = 1000.0
AGENT_TONE_HZ = 600.0


def run(build: FrozenBuild, *args: str, profile: Path | None = None, stdin: str = "",
        timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run the console program with ``args`` (and ``--profile``), capturing its output."""
    command = [str(build.program("softphone-cli"))]
    if profile is not None:
        command += ["--profile", str(profile)]
    return subprocess.run([*command, *args], input=stdin, capture_output=True, text=True,
                          env=frozen_env(dict(os.environ)), timeout=timeout)


def test_the_folder_holds_the_three_programs_and_the_app_s_files(frozen: FrozenBuild) -> None:
    for name in PROGRAMS:
        assert os.access(frozen.program(name), os.X_OK), name
    internal = frozen.internal
    for relative in (
        "resources/icons/app.svg", "resources/sounds/ring.wav", "resources/styles/app.qss",
        "softphone/cache/migrations/env.py", "softphone/cache/migrations/versions/0001_cache.py",
        "softphone/crm/API.md",
    ):
        assert (internal / relative).is_file(), f"{relative} is missing from the build"
    entry_points = list(internal.glob("keyring-*.dist-info/entry_points.txt"))
    assert entry_points, "keyring's metadata (its backends' entry points) is missing"
    assert "SecretService" in entry_points[0].read_text()
    names = {path.name for path in internal.rglob("*")}
    for left_out in ("libQt6Qml.so.6", "libQt6Quick.so.6", "libQt6WebEngineCore.so.6",
                     "libQt6Multimedia.so.6", "libqgtk3.so"):
        assert left_out not in names, f"{left_out} should not be in the build"
    assert not [name for name in names if name.startswith("libportaudio")], (
        "PortAudio must come from the system (libportaudio2) on Linux"
    )


@pytest.mark.parametrize("program", ["softphone-cli", "softphone"])
def test_programs_print_the_package_version(frozen: FrozenBuild, program: str) -> None:
    result = subprocess.run([str(frozen.program(program)), "--version"], capture_output=True,
                            text=True, env=frozen_env(dict(os.environ)), timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"softphone {__version__}"


def test_console_program_diagnoses_and_lists_settings(frozen: FrozenBuild,
                                                      tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    # A fresh profile has no SIP address: the check fails, says why, and exits 1.
    result = run(frozen, "diagnose", "--json", profile=profile)
    assert result.returncode == 1, result.stderr
    checks = {check["name"]: check for check in json.loads(result.stdout)}
    assert {"configuration", "keyring", "audio_devices", "registration",
            "disk"} <= set(checks)
    assert checks["configuration"]["status"] == "failed"
    assert "sip.uri" in checks["configuration"]["message"]
    listed = run(frozen, "config", "list", "--json", profile=profile)
    assert listed.returncode == 0, listed.stderr
    assert "sip.uri" in {row["name"] for row in json.loads(listed.stdout)}
    assert run(frozen, "config", "set", "sip.transport", "tls", profile=profile).returncode == 0
    assert run(frozen, "config", "get", "sip.transport", profile=profile).stdout.strip() == "tls"
    status = run(frozen, "status", "--json", profile=profile)
    assert status.returncode == 3
    assert "not running" in status.stderr


def test_console_program_keeps_secrets_in_the_session_keyring(frozen: FrozenBuild) -> None:
    stored = run(frozen, "credentials", "set", "crm", stdin="frozen-token\n")
    try:
        assert stored.returncode == 0, stored.stderr
        assert keyring.get_password("softphone", "crm") == "frozen-token"
    finally:
        run(frozen, "credentials", "delete", "crm")
    assert keyring.get_password("softphone", "crm") is None


def test_engine_program_speaks_the_protocol_and_shuts_down(frozen: FrozenBuild,
                                                           tmp_path: Path) -> None:
    log_file = tmp_path / "engine.log"
    engine = subprocess.Popen(
        [str(frozen.program("softphone-engine")), "--log-file", str(log_file)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env=frozen_env(dict(os.environ)),
    )
    try:
        assert engine.stdout is not None and engine.stdin is not None
        ready = P.decode(_read_line(engine, timeout=30))
        assert isinstance(ready, P.EngineReady)
        assert ready.version == __version__
        engine.stdin.write(P.encode(P.Shutdown()))
        engine.stdin.flush()
        assert engine.wait(30) == 0, log_file.read_text(errors="replace")
    finally:
        if engine.poll() is None:
            engine.kill()
            engine.wait(10)
        for stream in (engine.stdin, engine.stdout):
            if stream is not None:
                stream.close()


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """One line from the process's output, waiting at most ``timeout`` seconds."""
    assert process.stdout is not None
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if selector.select(timeout=0.2):
                return process.stdout.readline()
            assert process.poll() is None, f"exited with status {process.returncode}"
    raise AssertionError(f"no line within {timeout:.0f} s")


@pytest.fixture
def agent_password() -> Iterator[str]:
    keyring.set_password("softphone", "sip", USERS["agent"])
    yield USERS["agent"]
    keyring.delete_password("softphone", "sip")


@pytest.fixture
def frozen_app(frozen: FrozenBuild, tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
               agent_password: str) -> Iterator[FrozenApp]:
    app = FrozenApp(frozen, tmp_path / "profile", pulse.env)
    app.configure(**agent_settings(kamailio), sip__registrar=kamailio.registrar_uri,
                  log__level="debug")
    with running(app):
        yield app


@pytest.mark.peers
def test_frozen_app_registers_and_takes_a_call(
    frozen_app: FrozenApp, frozen: FrozenBuild, kamailio: Kamailio, pulse: PulseAudio,
    tmp_path: Path, baresip_factory: BaresipFactory, tone_wav: ToneFactory,
) -> None:
    status = frozen_app.wait_registered(timeout=40)
    engine_pid = status["engine"]["pid"]
    engine_exe = Path(f"/proc/{engine_pid}/exe").resolve()
    assert engine_exe.is_relative_to(frozen.folder.resolve()), (
        f"the engine runs {engine_exe}, not a program of the build"
    )
    assert status["audio"]["speaker"] == "headset"
    assert status["audio"]["microphone"] == "headset_mic"

    customer = baresip_factory("customer", display_name="Customer One",
                               tone_hz=CUSTOMER_TONE_HZ)
    pulse.play_into_mic(tone_wav(AGENT_TONE_HZ, rate=16000))
    customer.dial(kamailio.aor("agent"))
    ringing = frozen_app.wait_status(
        lambda s: any(c["state"] == "incoming" for c in s["calls"]), message="no incoming call")
    assert ringing["calls"][0]["remote"]["display_name"] == "Customer One"

    answered = frozen_app.cli("answer")
    assert answered.returncode == 0, answered.stderr
    customer.wait_call_established()
    frozen_app.wait_status(lambda s: s["calls"] and s["calls"][0]["state"] == "confirmed",
                           message="call not confirmed")
    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    headset.wait_seconds(2.0, timeout=20)
    customer.wait_heard_seconds(2.0, timeout=20)
    heard_by_agent = headset.stop()

    assert frozen_app.cli("hangup").returncode == 0
    customer.wait_call_closed()
    heard_by_customer = customer.wait_recording()
    assert abs(dominant_frequency(heard_by_customer, skip_seconds=0.5) - AGENT_TONE_HZ) < 20
    assert abs(dominant_frequency(heard_by_agent, skip_seconds=0.5) - CUSTOMER_TONE_HZ) < 20

    frozen_app.wait_status(lambda s: not s["calls"], message="call still listed after hang up")
    history = frozen_app.cli("history", "--json")
    assert history.returncode == 0, history.stderr
    (entry, *_) = json.loads(history.stdout)
    assert entry["direction"] == "incoming"
    assert entry["outcome"] == "answered"

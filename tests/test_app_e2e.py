"""The whole app as an agent uses it, against real peers started by the tests.

Kamailio is the PBX, baresip the customer, PulseAudio null sinks the headset and the
microphone, gnome-keyring (started by tests/run.sh) the keyring.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.app_process import RunningApp, agent_settings, running
from tests.peers.audio import dominant_frequency
from tests.peers.fixtures import USERS, BaresipFactory, ToneFactory
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port
from tests.peers.pulse import PulseAudio

pytestmark = pytest.mark.peers

CUSTOMER_TONE_HZ = 1000.0
AGENT_TONE_HZ = 600.0


@pytest.fixture
def agent_password() -> Iterator[str]:
    keyring.set_password("softphone", "sip", USERS["agent"])
    yield USERS["agent"]
    keyring.delete_password("softphone", "sip")


@pytest.fixture
def app(tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
        agent_password: str) -> Iterator[RunningApp]:
    app = RunningApp(tmp_path / "profile", pulse.env)
    app.configure(**agent_settings(kamailio), sip__registrar=kamailio.registrar_uri,
                  sip__trace="true", log__level="debug")
    with running(app) as started:
        yield started


def test_agent_takes_a_call_and_both_sides_hear_each_other(
    app: RunningApp, kamailio: Kamailio, pulse: PulseAudio, tmp_path: Path,
    baresip_factory: BaresipFactory, tone_wav: ToneFactory,
) -> None:
    status = app.wait_registered()
    assert status["engine"]["sip_port"] > 0
    assert status["audio"]["speaker"] == "headset"
    assert status["audio"]["microphone"] == "headset_mic"
    customer = baresip_factory("customer", display_name="Customer One",
                               tone_hz=CUSTOMER_TONE_HZ)
    pulse.play_into_mic(tone_wav(AGENT_TONE_HZ, rate=16000))

    customer.dial(kamailio.aor("agent"))
    ringing = app.wait_status(lambda s: any(c["state"] == "incoming" for c in s["calls"]),
                              message="no incoming call")
    (call,) = ringing["calls"]
    assert call["direction"] == "incoming"
    assert call["remote"]["display_name"] == "Customer One"
    assert call["remote"]["number"] == "customer"

    assert app.cli("answer").returncode == 0
    customer.wait_call_established()
    app.wait_status(lambda s: s["calls"] and s["calls"][0]["state"] == "confirmed",
                    message="call not confirmed")

    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    headset.wait_seconds(3.0, timeout=20)
    customer.wait_heard_seconds(3.0, timeout=20)
    heard_by_agent = headset.stop()

    assert app.cli("hangup").returncode == 0
    customer.wait_call_closed()
    heard_by_customer = customer.wait_recording()
    assert abs(dominant_frequency(heard_by_customer, skip_seconds=0.5) - AGENT_TONE_HZ) < 20
    assert abs(dominant_frequency(heard_by_agent, skip_seconds=0.5) - CUSTOMER_TONE_HZ) < 20

    app.wait_status(lambda s: not s["calls"], message="call still listed after hang up")
    history = json.loads(app.cli("history", "--json").stdout)
    assert history[0]["direction"] == "incoming"
    assert history[0]["number"] == "customer"
    assert history[0]["outcome"] == "answered"
    assert history[0]["duration_seconds"] > 0


def test_wrong_password_says_authentication_failed_without_a_retry_storm(
    tmp_path: Path, kamailio: Kamailio, pulse: PulseAudio,
) -> None:
    keyring.set_password("softphone", "sip", "not-the-password")
    running = RunningApp(tmp_path / "profile", pulse.env)
    running.configure(sip__uri=f"sip:agent@{kamailio.host}:{kamailio.port}",
                      sip__rtp_port=str(free_port("udp", low=10000, high=19000)))
    try:
        running.start()
        status = running.wait_status(lambda s: s["registration"]["state"] == "failed",
                                     message="wrong password was not reported")
        assert status["registration"]["reason"] == "authentication failed"
        first = _register_requests(kamailio)
        deadline = time.monotonic() + 8  # longer than the 5 s retry interval
        while time.monotonic() < deadline:
            assert running.status()["registration"]["state"] == "failed"
            time.sleep(0.5)
        assert _register_requests(kamailio) - first <= 1
    finally:
        exit_code = running.stop()
        keyring.delete_password("softphone", "sip")
    assert exit_code == 0, running.output_tail(40)


def _register_requests(kamailio: Kamailio) -> int:
    text = kamailio.rpc("stats.get_statistics", "rcv_requests_register")
    return int(text.rsplit("=", 1)[-1].strip().strip('"').split()[0])


def test_engine_killed_mid_call_gui_survives_and_registers_again(
    app: RunningApp, kamailio: Kamailio, baresip_factory: BaresipFactory,
) -> None:
    app.wait_registered()
    customer = baresip_factory("customer", auto_answer=True)
    typed = app.cli("dial", kamailio.aor("customer"))
    assert typed.returncode == 0, typed.stderr
    customer.wait_call_established()
    before = app.wait_status(lambda s: s["calls"] and s["calls"][0]["state"] == "confirmed",
                             message="outgoing call not confirmed")
    old_pid = before["engine"]["pid"]

    killed_at = time.monotonic()
    os.kill(old_pid, signal.SIGKILL)
    after = app.wait_status(
        lambda s: s["engine"]["pid"] != old_pid and s["registration"]["state"] == "registered",
        timeout=10, message="engine not restarted and registered")
    assert time.monotonic() - killed_at < 5.0
    assert after["engine"]["alive"]
    assert app.process is not None and app.process.poll() is None
    history = json.loads(app.cli("history", "--json").stdout)
    assert history[0]["outcome"] == "dropped"


def test_second_launch_brings_the_running_app_forward(app: RunningApp) -> None:
    first_pid = app.status()["engine"]["pid"]
    again = subprocess.run(
        [sys.executable, "-m", "softphone", "--profile", str(app.profile_dir)],
        env=app.env, capture_output=True, text=True, timeout=30,
    )
    assert again.returncode == 0, again.stderr
    assert app.process is not None and app.process.poll() is None
    assert app.status()["engine"]["pid"] == first_pid


def test_markup_in_the_callers_name_reaches_the_app_as_plain_text(
    app: RunningApp, kamailio: Kamailio, baresip_factory: BaresipFactory,
) -> None:
    app.wait_registered()
    name = "<b>Boss</b> <img src=x>"
    customer = baresip_factory("customer", display_name=name)
    customer.dial(kamailio.aor("agent"))
    ringing = app.wait_status(lambda s: bool(s["calls"]), message="no incoming call")
    assert ringing["calls"][0]["remote"]["display_name"] == name
    assert app.cli("hangup").returncode == 0
    customer.wait_call_closed()
    history = json.loads(app.cli("history", "--json").stdout)
    assert history[0]["outcome"] == "declined"

"""Self-tests of the real-peer harness in ``tests/peers`` (Kamailio, baresip, PulseAudio)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Literal

import pytest
import sounddevice  # imported before the pulse fixture runs: exercises its PortAudio refresh

from tests.peers import audio
from tests.peers.fixtures import USERS, BaresipFactory, ToneFactory
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, free_port_range, is_free, wait_until
from tests.peers.procs import group_members
from tests.peers.pulse import PulseAudio

AGENT_HZ = 600.0
CUSTOMER_HZ = 1000.0
SECOND_HZ = 800.0


def assert_tone(path: Path, expected_hz: float) -> None:
    """The WAV at ``path`` is a clearly audible tone of ``expected_hz`` (+-3 %)."""
    found = audio.dominant_frequency(path, skip_seconds=0.2)
    assert found == pytest.approx(expected_hz, rel=0.03), f"{path}: {found:.1f} Hz"
    assert audio.rms(path, skip_seconds=0.2, trim_silence=True) > 0.1, f"{path} is too quiet"


# ----------------------------------------------------------------------- no processes
def test_free_ports_are_bindable_and_distinct() -> None:
    ports = {free_port("both") for _ in range(5)}
    assert len(ports) == 5
    assert all(is_free(port, "both") for port in ports)
    first, last = free_port_range(10)
    assert last - first == 9 and first % 2 == 0


def test_wait_until_returns_value_or_raises_with_message() -> None:
    assert wait_until(lambda: 42, timeout=1) == 42
    with pytest.raises(AssertionError, match="never true"):
        wait_until(lambda: False, timeout=0.2, message="never true")


def test_tone_analysis(tmp_path: Path) -> None:
    path = audio.write_tone(tmp_path / "t.wav", 440, 0.5, rate=16000, amplitude=0.5)
    assert audio.dominant_frequency(path) == pytest.approx(440, rel=0.01)
    assert audio.rms(path) == pytest.approx(0.5 / 2**0.5, rel=0.02)
    assert audio.duration(path) == pytest.approx(0.5)
    assert audio.wav_is_complete(path)


# ----------------------------------------------------------------------------- peers
@pytest.mark.peers
def test_kamailio_digest_auth_and_teardown(tmp_path: Path) -> None:
    with Kamailio({"agent": "agentpw"}, tmp_path / "kam") as kam:
        assert kam.running and kam.registrar_uri == f"sip:127.0.0.1:{kam.port}"
        assert not kam.is_registered("agent")
        pgid = kam._proc.pid  # type: ignore[union-attr]
        assert len(group_members(pgid)) > 1  # main process plus workers
    assert not kam.running
    assert group_members(pgid) == []
    assert is_free(kam.port, "both")


@pytest.mark.peers
def test_registration_needs_the_right_password(
    kamailio: Kamailio, baresip_factory: BaresipFactory
) -> None:
    agent = baresip_factory("agent")
    assert kamailio.is_registered("agent")
    assert agent.registration_state() == "OK"

    intruder = baresip_factory("customer", password="wrong", wait_registered=False)
    intruder.wait_registration_failed()
    assert not kamailio.is_registered("customer")

    unknown = baresip_factory("nobody", password="x", wait_registered=False)
    unknown.wait_registration_failed()
    assert not kamailio.is_registered("nobody")


@pytest.mark.peers
@pytest.mark.parametrize("transport", ["udp", "tcp"])
def test_call_audio_dtmf_hold_and_hangup(
    kamailio: Kamailio,
    baresip_factory: BaresipFactory,
    tone_wav: ToneFactory,
    transport: Literal["udp", "tcp"],
) -> None:
    agent = baresip_factory("agent", tone_wav=tone_wav(AGENT_HZ), transport=transport)
    customer = baresip_factory("customer", tone_wav=tone_wav(CUSTOMER_HZ), transport=transport)

    customer.dial(kamailio.aor("agent"))
    incoming = agent.wait_incoming_call()
    assert incoming.peer_uri == kamailio.aor("customer")
    agent.answer()
    agent.wait_call_established()
    customer.wait_call_established()

    agent.wait_heard_seconds(1.5)
    customer.wait_heard_seconds(1.5)

    customer.send_dtmf("19#")
    assert agent.wait_dtmf("19#") == "19#"

    customer.hold()
    agent.wait_remote_direction("sendonly")
    customer.resume()
    agent.wait_remote_direction("sendrecv")

    customer.hangup()
    customer.wait_call_closed()
    agent.wait_call_closed()
    assert_tone(agent.wait_recording(), CUSTOMER_HZ)
    assert_tone(customer.wait_recording(), AGENT_HZ)
    assert "REQ INVITE sip:agent@" in kamailio.log_text()


@pytest.mark.peers
def test_blind_transfer_is_followed(
    kamailio: Kamailio, baresip_factory: BaresipFactory, tone_wav: ToneFactory
) -> None:
    agent = baresip_factory("agent", tone_wav=tone_wav(AGENT_HZ))
    customer = baresip_factory("customer", tone_wav=tone_wav(CUSTOMER_HZ))
    second = baresip_factory("second", tone_wav=tone_wav(SECOND_HZ), auto_answer=True)

    customer.dial(kamailio.aor("agent"))
    agent.wait_incoming_call()
    agent.answer()
    customer.wait_call_established()

    agent.transfer(kamailio.aor("second"))
    second.wait_call_established()
    agent.wait_call_closed()
    assert customer.wait_request("REFER").header("Refer-To") is not None
    assert customer.wait_event("TRANSFER")["param"].startswith(kamailio.aor("second"))

    customer.wait_heard_seconds(1.0)
    second.hangup()
    customer.wait_call_closed()
    assert_tone(customer.wait_recording(), SECOND_HZ)
    assert_tone(second.wait_recording(), CUSTOMER_HZ)


_PJSUA_INFO_DTMF = """
import sys
import time
import pjsua2 as pj

class Call(pj.Call):
    state = 0
    def onCallState(self, prm):
        self.state = self.getInfo().state

ep = pj.Endpoint()
ep.libCreate()
config = pj.EpConfig()
config.logConfig.level = 1
config.uaConfig.threadCnt = 0
config.uaConfig.mainThreadOnly = True
ep.libInit(config)
transport = pj.TransportConfig()
transport.boundAddress = "127.0.0.1"
ep.transportCreate(pj.PJSIP_TRANSPORT_UDP, transport)
ep.libStart()
ep.audDevManager().setNullDev()
account_config = pj.AccountConfig()
account_config.idUri = "sip:pjsua@127.0.0.1"
account = pj.Account()
account.create(account_config)
call = Call(account)
call.makeCall(sys.argv[1], pj.CallOpParam(True))
deadline = time.monotonic() + 20
sent = False
while time.monotonic() < deadline and call.state != pj.PJSIP_INV_STATE_DISCONNECTED:
    ep.libHandleEvents(20)
    if call.state == pj.PJSIP_INV_STATE_CONFIRMED and not sent:
        dtmf = pj.CallSendDtmfParam()
        dtmf.digits = "5"
        dtmf.method = pj.PJSUA_DTMF_METHOD_SIP_INFO
        call.sendDtmf(dtmf)
        sent = True
print("disconnected" if call.state == pj.PJSIP_INV_STATE_DISCONNECTED else "timeout")
del call
ep.libDestroy()
"""


@pytest.mark.peers
def test_baresip_reports_sip_info_dtmf(baresip_factory: BaresipFactory) -> None:
    pytest.importorskip("pjsua2")
    agent = baresip_factory("agent", register=False, auto_answer=True)
    with subprocess.Popen(
        [sys.executable, "-c", _PJSUA_INFO_DTMF, agent.contact_uri],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    ) as caller:
        try:
            agent.wait_call_established()
            assert agent.wait_dtmf("5") == "5"
            info = agent.wait_request("INFO")
            assert info.header("Content-Type") == "application/dtmf-relay"
            agent.hangup()
            output, _ = caller.communicate(timeout=20)
        finally:
            caller.kill()
    assert "disconnected" in output


_DEVICE_ROUND_TRIP = """
import sys
import numpy as np
import sounddevice as sd
rate = 16000
t = np.arange(rate) / rate
sd.play((0.5 * np.sin(2 * np.pi * 700 * t)).astype("float32"), rate, device="headset",
        blocking=True)
heard = sd.rec(rate // 2, samplerate=rate, channels=1, device="headset_mic", blocking=True)
audio = heard[:, 0] * np.hanning(len(heard))
print(np.argmax(np.abs(np.fft.rfft(audio))) * rate / len(heard))
"""


@pytest.mark.peers
def test_pulse_devices_and_tone_round_trip(
    pulse: PulseAudio, tmp_path: Path, tone_wav: ToneFactory
) -> None:
    wanted = {"headset", "headset_mic", "ringer", "spare", "default"}
    assert wanted <= {str(device["name"]) for device in pulse.portaudio_devices()}
    assert wanted <= {str(device["name"]) for device in sounddevice.query_devices()}

    recording = pulse.record("headset.monitor", tmp_path / "heard.wav")
    recording.wait_seconds(0.1)
    playback = pulse.play_into_mic(tone_wav(450, seconds=2, rate=16000))
    result = subprocess.run(
        [sys.executable, "-c", _DEVICE_ROUND_TRIP],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    playback.stop()
    assert float(result.stdout.split()[-1]) == pytest.approx(450, rel=0.03)
    assert_tone(recording.stop(), 700)

    pulse.unload_sink("spare")
    assert "spare" not in pulse.sink_names()
    pulse.load_sink("spare")
    assert "spare" in pulse.sink_names()


def test_users_constant() -> None:
    assert USERS["agent"] == "agentpw" and set(USERS) >= {"customer", "second", "manager"}

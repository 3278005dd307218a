"""The real phone engine process, driven over its stdin/stdout protocol, against real peers.

Kamailio is the registrar/proxy, baresip plays the customer (and transfer targets), and
PulseAudio null sinks are the agent's headset (``headset``), microphone (``headset_mic``
hears what is played into ``mic_feed``) and ringer (``ringer``).
"""

from __future__ import annotations

import contextlib
import random
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from softphone import protocol as P
from tests.peers.audio import (
    bursts,
    dominant_frequency,
    peak_frequency,
    read_partial_wav,
    tone_envelope,
)
from tests.peers.baresip import Baresip
from tests.peers.engine import Agent, EngineProcess, start_agent, stop_agent
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, wait_until
from tests.peers.pulse import PulseAudio, Recording

pytestmark = pytest.mark.peers


# Frequencies far apart from each other and from the ringtone's 400/450 Hz.
MIC_TONE_HZ = 700.0
CUSTOMER_TONE_HZ = 1200.0
RINGBACK_HZ = 425.0
BLOCK_SECONDS = 0.05
TONE_ON = 0.03  # amplitude (of full scale) above which a tone counts as playing


@pytest.fixture
def agent(kamailio: Kamailio, pulse: PulseAudio, tmp_path: Path) -> Iterator[Agent]:
    started = start_agent(kamailio, tmp_path)
    try:
        yield started
    finally:
        stop_agent(started)


def _answered_incoming_call(agent: Agent, customer: Baresip) -> P.IncomingCall:
    engine = agent.engine
    customer.dial(agent.kamailio.aor("agent"))
    incoming = engine.wait(P.IncomingCall)
    engine.send(P.Answer(incoming.call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")
    engine.wait(P.MediaStateChanged, lambda e: e.active and not e.local_hold)
    customer.wait_call_established()
    return incoming


# --------------------------------------------------------------------------- registration


def test_registers_and_unregisters_without_logging_the_password(agent: Agent) -> None:
    agent.register()
    agent.engine.send(P.Unregister())
    agent.engine.wait(P.RegistrationChanged, lambda e: e.state == "unregistered")
    agent.kamailio.wait_unregistered("agent")
    log_text = agent.engine.log_path.read_text()
    assert "REGISTER sip:" in log_text  # the SIP trace is on...
    assert "agentpw" not in log_text  # ...but the password never appears
    assert 'response="' not in log_text


def test_wrong_password_fails_once_without_a_register_storm(agent: Agent) -> None:
    engine, kam = agent.engine, agent.kamailio
    engine.send(P.Register(agent.account(password="not-the-password")))
    failed = engine.wait(P.RegistrationChanged, lambda e: e.state != "registering")
    assert (failed.state, failed.reason) == ("failed", "authentication failed")
    assert failed.code in (401, 403, 407)
    # The retry interval is 2 s: six intervals without another attempt is no storm.
    deadline = time.monotonic() + 12
    while time.monotonic() < deadline:
        assert kam.log_text().count("AUTH failed for agent") <= 1
        assert engine.all_of(P.RegistrationChanged)[-1] == failed
        time.sleep(0.5)
    assert not kam.is_registered("agent")


def test_unreachable_server_is_reported_and_retried(agent: Agent) -> None:
    engine = agent.engine
    dead = P.AccountConfig(
        uri=f"sip:agent@127.0.0.1:{free_port('both')}",
        registrar="",
        username="",
        password="x",
        transport="tcp",
        register_retry_seconds=1,
    )
    engine.send(P.Register(dead))
    first = engine.wait(P.RegistrationChanged, lambda e: e.state == "failed")
    assert first.reason == "server unreachable"
    engine.wait(P.RegistrationChanged, lambda e: e.state == "registering", timeout=15)
    second = engine.wait(P.RegistrationChanged, lambda e: e.state == "failed", timeout=15)
    assert second.reason == "server unreachable"


def test_silent_udp_registrar_is_reported_long_before_pjsip_gives_up(agent: Agent) -> None:
    """Over UDP pjsip gives up on a REGISTER only after 32 s; the agent hears sooner."""
    engine = agent.engine
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.settimeout(0.2)
        port = silent.getsockname()[1]
        engine.send(P.Register(P.AccountConfig(uri=f"sip:agent@127.0.0.1:{port}", registrar="",
                                               username="", password="x", transport="udp")))
        started = time.monotonic()
        waiting = engine.wait(P.RegistrationChanged, lambda e: e.reason != "", timeout=15)
        waited = time.monotonic() - started
        assert (waiting.state, waiting.reason) == ("registering", "no answer yet")
        assert 4 < waited < 15, waited
        received = b""
        with contextlib.suppress(TimeoutError):
            while True:
                received += silent.recv(65536)
        assert b"REGISTER sip:" in received  # it was asked, and kept silent
        assert engine.all_of(P.RegistrationChanged)[-1] == waiting


# --------------------------------------------------------------------------- calls


def test_incoming_call_audio_both_ways_dtmf_and_hangup(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tone_wav: Any, tmp_path: Path
) -> None:
    engine = agent.engine
    agent.register()
    customer = baresip_factory(
        "customer", display_name="Jane Customer", tone_wav=tone_wav(CUSTOMER_TONE_HZ)
    )
    mic = pulse.play_into_mic(tone_wav(MIC_TONE_HZ, rate=16000))
    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    ringer = pulse.record("ringer.monitor", tmp_path / "ringer.wav")
    headset.wait_seconds(0.2)
    ringer.wait_seconds(0.2)

    customer.dial(agent.kamailio.aor("agent"))
    incoming = engine.wait(P.IncomingCall)
    assert incoming.remote.display_name == "Jane Customer"
    assert incoming.remote.number == "customer"
    early = engine.wait(P.CallStateChanged, lambda e: e.state == "early")
    assert early.direction == "incoming"
    ring_start = ringer.seconds()
    ringer.wait_seconds(ring_start + 1.5)  # the ringer plays while the call rings
    engine.send(P.Answer(incoming.call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")
    engine.wait(P.MediaStateChanged, lambda e: e.active)
    customer.wait_call_established()
    ringer.stop()
    assert dominant_frequency(ringer.path, skip_seconds=ring_start) in (
        pytest.approx(400, abs=15),
        pytest.approx(450, abs=15),
    )

    answered_at = headset.seconds()
    headset.wait_seconds(answered_at + 3.0)
    levels = engine.wait(P.AudioLevels, lambda e: e.microphone > 0.05 and e.speaker > 0.05)
    assert levels.microphone <= 1.0
    stats = engine.wait(P.StreamStats, lambda e: e.rx_packets > 20)
    assert stats.call_id == incoming.call_id and stats.codec

    engine.send(P.SendDtmf(incoming.call_id, "19#*"))
    customer.wait_dtmf("19#*")
    engine.send(P.SendDtmf(incoming.call_id, "12x"))
    assert engine.wait(P.EngineError).kind == "user"
    customer.send_dtmf("5#")
    assert engine.wait(P.DtmfReceived).digit == "5"
    assert engine.wait(P.DtmfReceived).digit == "#"

    engine.send(P.Hangup(incoming.call_id))
    ended = engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    assert ended.call_id == incoming.call_id
    customer.wait_call_closed()
    heard_by_customer = customer.wait_recording()
    headset.stop()
    mic.stop()
    assert dominant_frequency(heard_by_customer, skip_seconds=1.0) == pytest.approx(
        MIC_TONE_HZ, abs=20
    )
    assert dominant_frequency(headset.path, skip_seconds=answered_at + 0.5) == pytest.approx(
        CUSTOMER_TONE_HZ, abs=20
    )


def test_outgoing_call_hold_resume_and_mute(agent: Agent, baresip_factory: Any) -> None:
    engine = agent.engine
    agent.register()
    target = baresip_factory("second", auto_answer=True)
    engine.send(P.Dial("out-1", "second"))
    calling = engine.wait(P.CallStateChanged, lambda e: e.call_id == "out-1")
    assert calling.direction == "outgoing" and calling.remote.number == "second"
    engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")
    engine.wait(P.MediaStateChanged, lambda e: e.active and not e.local_hold)
    target.wait_call_established()

    engine.send(P.Hold("out-1"))
    held = engine.wait(P.MediaStateChanged, lambda e: e.local_hold)
    assert held.call_id == "out-1"
    target.wait_remote_direction("sendonly")
    engine.send(P.Resume("out-1"))
    engine.wait(P.MediaStateChanged, lambda e: e.active and not e.local_hold)
    target.wait_remote_direction("sendrecv")

    # Re-reading the device list closes every PortAudio stream: audio must come back.
    engine.send(P.RefreshDevices())
    engine.wait(P.DevicesChanged, lambda e: e.speaker == "headset")
    engine.skip(P.AudioLevels)
    engine.wait(P.AudioLevels, lambda e: e.speaker > 0.05)

    engine.send(P.Mute(True))
    assert engine.wait(P.MuteChanged).muted
    engine.send(P.Mute(False))
    assert not engine.wait(P.MuteChanged).muted

    engine.send(P.Hangup("out-1"))
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    target.wait_call_closed()


def _tone_blocks(path: Path, freq_hz: float, start: float, end: float | None = None) -> Any:
    """Per-block amplitude of ``freq_hz`` in a recording still being written."""
    samples, rate = read_partial_wav(path)
    last = samples.size if end is None else round(end * rate)
    return tone_envelope(samples[round(start * rate) : last], rate, freq_hz, BLOCK_SECONDS)


def _ringback_blocks(path: Path, start: float) -> int:
    """How many blocks after ``start`` carry the ringback tone."""
    return int((_tone_blocks(path, RINGBACK_HZ, start) > TONE_ON).sum())


def _cadence(envelope: Any) -> list[tuple[float, float]]:
    """``(start, length)`` of each burst, bridging dropouts of a loaded machine."""
    merged: list[tuple[float, float]] = []
    for start, length in bursts(envelope, TONE_ON, BLOCK_SECONDS):
        if merged and start - sum(merged[-1]) < 0.5:
            merged[-1] = (merged[-1][0], start + length - merged[-1][0])
        else:
            merged.append((start, length))
    return merged


def _ringing_outgoing_call(
    agent: Agent, callee: Baresip, call_id: str, headset: Recording
) -> float:
    """Dial ``callee``; return where the headset recording was when 180 Ringing came."""
    agent.engine.send(P.Dial(call_id, callee.user))
    agent.engine.wait(P.CallStateChanged, lambda e: e.state == "early" and e.code == 180)
    rang_at = headset.seconds()
    callee.wait_incoming_call()
    return max(0.0, rang_at - 0.2)  # the recorder's own buffering


def test_outgoing_call_hears_ringback_until_the_far_end_answers(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tone_wav: Any, tmp_path: Path
) -> None:
    engine = agent.engine
    agent.register()
    callee = baresip_factory("second", tone_wav=tone_wav(CUSTOMER_TONE_HZ))
    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    headset.wait_seconds(0.2)

    rang_at = _ringing_outgoing_call(agent, callee, "out-1", headset)
    # 1 s on, 4 s off: answer once the second burst has begun, so the answer cuts it.
    wait_until(
        lambda: _ringback_blocks(headset.path, rang_at + 4.0) > 0,
        15, message="the second ringback burst did not come",
    )  # fmt: skip
    callee.answer()
    engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")
    engine.wait(P.MediaStateChanged, lambda e: e.active)
    answered_at = headset.seconds()
    headset.wait_seconds(answered_at + 2.0)
    headset.stop()

    ringing = _tone_blocks(headset.path, RINGBACK_HZ, rang_at, answered_at)
    (first_start, first_length), (second_start, _) = _cadence(ringing)[:2]
    # The first burst may lose its start while the speaker stream opens; the gap may not.
    assert 0.5 <= first_length <= 1.2
    assert second_start - (first_start + first_length) == pytest.approx(4.0, abs=0.3)
    samples, rate = read_partial_wav(headset.path)
    first = round((rang_at + first_start) * rate)
    burst = samples[first : first + round(first_length * rate)]
    assert peak_frequency(burst, rate) == pytest.approx(RINGBACK_HZ, abs=15)
    # Stopped by the answer (plus the speaker path's delay), not by the cadence.
    after = _tone_blocks(headset.path, RINGBACK_HZ, answered_at + 0.3)
    assert after.max() < TONE_ON
    far_end = _tone_blocks(headset.path, CUSTOMER_TONE_HZ, answered_at + 0.5)
    assert far_end.mean() > TONE_ON

    engine.send(P.Hangup("out-1"))
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    callee.wait_call_closed()


def test_ringback_stops_when_the_far_end_declines(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tmp_path: Path
) -> None:
    engine = agent.engine
    agent.register()
    callee = baresip_factory("second")
    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    headset.wait_seconds(0.2)

    rang_at = _ringing_outgoing_call(agent, callee, "out-1", headset)
    wait_until(
        lambda: _ringback_blocks(headset.path, rang_at) >= 4,
        15, message="no ringback tone",
    )  # fmt: skip
    callee.hangup()
    ended = engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    assert ended.code >= 400
    ended_at = headset.seconds()
    headset.wait_seconds(ended_at + 1.0)
    assert _tone_blocks(headset.path, RINGBACK_HZ, ended_at + 0.3).max() < TONE_ON


def test_dial_rejects_junk_with_words_for_the_agent(agent: Agent) -> None:
    agent.register()
    agent.engine.send(P.Dial("bad-1", "hello <b>world</b>"))
    error = agent.engine.wait(P.EngineError)
    assert error.kind == "user" and "not a number" in error.message


def test_blind_transfer_to_a_second_baresip(agent: Agent, baresip_factory: Any) -> None:
    engine = agent.engine
    agent.register()
    customer = baresip_factory("customer")
    manager = baresip_factory("manager", auto_answer=True)
    incoming = _answered_incoming_call(agent, customer)

    engine.send(P.Transfer(incoming.call_id, "manager"))
    result = engine.wait(P.TransferResult, timeout=20)
    assert result.success, result
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected", timeout=10)
    manager.wait_call_established()


def test_second_incoming_call_answer_holds_the_first(agent: Agent, baresip_factory: Any) -> None:
    engine = agent.engine
    agent.register()
    customer = baresip_factory("customer")
    other = baresip_factory("second")
    first = _answered_incoming_call(agent, customer)

    other.dial(agent.kamailio.aor("agent"))
    second = engine.wait(P.IncomingCall)
    assert second.call_id != first.call_id and second.remote.number == "second"
    engine.send(P.Answer(second.call_id))
    held = engine.wait(P.MediaStateChanged, lambda e: e.local_hold)
    assert held.call_id == first.call_id
    engine.wait(
        P.CallStateChanged, lambda e: e.call_id == second.call_id and e.state == "confirmed"
    )
    customer.wait_remote_direction("sendonly")


def test_missing_device_falls_back_with_a_warning(agent: Agent) -> None:
    agent.engine.send(P.SetDevices(microphone="Jabra Evolve", speaker="HEADSET", ringer=""))
    changed = agent.engine.wait(P.DevicesChanged)
    assert changed.speaker == "headset"
    assert changed.microphone and changed.microphone != "Jabra Evolve"
    assert any('"Jabra Evolve" is not connected' in w for w in changed.warnings)
    agent.engine.send(P.RefreshDevices())
    assert "headset" in agent.engine.wait(P.DevicesChanged).outputs


# --------------------------------------------------------------------------- hostile input

_BROKEN_INVITES = [
    b"INVITE sip:agent@127.0.0.1 SIP/2.0\r\n\r\n",
    b"INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK1\r\n"
    b"From: <sip:x@y>;tag=1\r\nTo: <sip:agent@127.0.0.1>\r\nCall-ID: a\r\n"
    b"CSeq: notanumber INVITE\r\nContent-Length: 99999\r\n\r\nv=0",
    b"INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK2\r\n"
    b'From: "\xff\xfe\x00evil" <sip:x@y>;tag=1\r\nTo: <sip:agent@127.0.0.1>\r\n'
    b"Call-ID: b\r\nCSeq: 1 INVITE\r\nMax-Forwards: -5\r\nContent-Type: application/sdp\r\n"
    b"Content-Length: 20\r\n\r\nv=0\r\no=\x00\x01\x02 garbage",
    b"INVITE sip:agent@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK3\r\n"
    + b"X-Long: "
    + b"A" * 30000
    + b"\r\n\r\n",
    b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKnope\r\nCSeq: 1 INVITE\r\n\r\n",
]


def _hostile_invite(port: int) -> bytes:
    """A well-formed INVITE whose caller identity is hostile text."""
    name = '<b>Bob</b> \\"\x07\x1b[31m' + "x" * 500
    sdp = (
        b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
        b"m=audio 9 RTP/AVP 0\r\n"
    )
    head = (
        f"INVITE sip:agent@127.0.0.1:{port} SIP/2.0\r\n"
        f"Via: SIP/2.0/UDP 127.0.0.1:9;rport;branch=z9hG4bKhostile{random.randint(0, 10**9)}\r\n"
        f'Max-Forwards: 70\r\nFrom: "{name}" <sip:evil@127.0.0.1>;tag=h1\r\n'
        f"To: <sip:agent@127.0.0.1:{port}>\r\nCall-ID: hostile-1\r\nCSeq: 1 INVITE\r\n"
        f"Contact: <sip:evil@127.0.0.1:9>\r\nContent-Type: application/sdp\r\n"
        f"Content-Length: {len(sdp)}\r\n\r\n"
    )
    return head.encode("latin-1") + sdp


def test_malformed_and_oversized_sip_leave_the_engine_working(
    agent: Agent, baresip_factory: Any
) -> None:
    engine = agent.engine
    agent.register()
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        target = ("127.0.0.1", agent.sip_port)
        rng = random.Random(4733)
        for _ in range(20):
            sock.sendto(bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 1500))), target)
        sock.sendto(bytes(rng.getrandbits(8) for _ in range(65000)), target)
        for packet in _BROKEN_INVITES:
            sock.sendto(packet, target)
        sock.sendto(_hostile_invite(agent.sip_port), target)
    with socket.create_connection(("127.0.0.1", agent.sip_port), timeout=5) as tcp:
        tcp.sendall(b"INVITE sip:x SIP/2.0\r\nContent-Length: 100000000\r\n\r\n" + b"\0" * 70000)

    hostile = engine.wait(P.IncomingCall)
    assert hostile.remote.display_name.startswith('<b>Bob</b> "')  # markup kept as text
    assert all(ch.isprintable() for ch in hostile.remote.display_name)
    assert len(hostile.remote.display_name) <= 128
    engine.send(P.Decline(hostile.call_id))
    engine.wait(
        P.CallStateChanged,
        lambda e: e.call_id == hostile.call_id and e.state == "disconnected",
        timeout=40,
    )
    assert engine.alive

    customer = baresip_factory("customer")
    _answered_incoming_call(agent, customer)
    assert not [e for e in engine.all_of(P.EngineError) if e.kind == "bug"]


# --------------------------------------------------------------------------- more behaviour


def test_auto_answer_and_network_change_keep_the_call(
    kamailio: Kamailio, pulse: PulseAudio, baresip_factory: Any, tmp_path: Path
) -> None:
    agent = start_agent(kamailio, tmp_path, auto_answer_seconds=1)
    try:
        engine = agent.engine
        agent.register()
        customer = baresip_factory("customer")
        customer.dial(kamailio.aor("agent"))
        incoming = engine.wait(P.IncomingCall)
        engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")  # nobody answered
        customer.wait_call_established()

        def registers_sent() -> int:
            return engine.log_path.read_text().count("Request msg REGISTER")

        before = registers_sent()
        engine.send(P.NetworkChanged())
        wait_until(lambda: registers_sent() > before, 15, message="no re-REGISTER")
        kamailio.wait_registered("agent")
        engine.send(P.SendDtmf(incoming.call_id, "7"))
        customer.wait_dtmf("7")
        assert not [e for e in engine.all_of(P.CallStateChanged) if e.state == "disconnected"]
        engine.send(P.Hangup(incoming.call_id))
        engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    finally:
        stop_agent(agent)


def test_bad_commands_are_reported_and_sigterm_exits_cleanly(tmp_path: Path) -> None:
    engine = EngineProcess(tmp_path)
    try:
        engine.wait(P.EngineReady)
        assert engine.proc.stdin is not None
        engine.proc.stdin.write(b'{"type":"Dial","call_id":5}\nnot json\n')
        engine.proc.stdin.flush()
        errors = [engine.wait(P.EngineError), engine.wait(P.EngineError)]
        assert all(e.kind == "bug" for e in errors)
        engine.send(P.Dial("c1", "1001"))  # before Configure
        assert engine.wait(P.EngineError).kind == "user"
        engine.send(P.Configure(P.EngineConfig(sip_port=free_port("both"))))
        engine.wait(P.DevicesChanged)
        engine.proc.terminate()
        assert engine.proc.wait(timeout=15) == 0
    finally:
        engine.stop()


def test_end_of_input_shuts_down_cleanly(tmp_path: Path) -> None:
    engine = EngineProcess(tmp_path)
    try:
        engine.wait(P.EngineReady)
        engine.send(P.Configure(P.EngineConfig(sip_port=free_port("both"))))
        engine.wait(P.DevicesChanged)
        engine.proc.stdin.close()  # type: ignore[union-attr]
        assert engine.proc.wait(timeout=15) == 0
    finally:
        engine.stop()

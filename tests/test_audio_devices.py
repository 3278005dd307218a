"""Devices that come and go, and where calls ring: the real engine, PulseAudio null sinks.

The agent's headset is the ``headset`` sink and its microphone ``headset_mic`` (the
monitor of ``mic_feed``); the fallbacks are the ``spare`` sink and ``desk_mic`` (the
monitor of ``desk_mic_feed``). Unloading a sink's module is unplugging the device: the
ALSA PCMs in ``.asoundrc`` stay listed, so the engine has to notice by itself.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softphone import protocol as P
from tests.peers.audio import bursts, peak_frequency, read_partial_wav, tone_envelope
from tests.peers.baresip import Baresip
from tests.peers.engine import Agent, EngineProcess, start_agent, stop_agent
from tests.peers.fixtures import pulse_in_environment
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, free_port_range, wait_until
from tests.peers.pulse import ALSA_DEVICES, SINKS, PulseAudio, Recording

pytestmark = pytest.mark.peers

HEADSET_MIC_HZ = 700.0
DESK_MIC_HZ = 900.0
CUSTOMER_HZ = 1200.0
BLOCK = 0.05
ON = 0.03  # amplitude above which a tone counts as present
SWITCH_SECONDS = 2.0  # the promise, from unplugging to the engine's move
DEVICES = {**ALSA_DEVICES, "desk_mic": "desk_mic_feed.monitor"}


@pytest.fixture
def pulse(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[PulseAudio]:
    """The usual test sinks plus a second microphone (``desk_mic``)."""
    with pulse_in_environment(
            PulseAudio(tmp_path / "pulse", (*SINKS, "desk_mic_feed"), DEVICES)) as server:
        yield server


@pytest.fixture
def agent(kamailio: Kamailio, pulse: PulseAudio, tmp_path: Path) -> Iterator[Agent]:
    started = start_agent(kamailio, tmp_path)
    try:
        yield started
    finally:
        stop_agent(started)


def tone_level(path: Path | None, freq_hz: float, start: float, end: float | None = None) -> Any:
    """Per-block amplitude of ``freq_hz`` in a WAV still being written, from ``start`` s."""
    if path is None or not path.exists():
        return np.zeros(0)
    samples, rate = read_partial_wav(path)
    last = samples.size if end is None else round(end * rate)
    return tone_envelope(samples[round(start * rate) : last], rate, freq_hz, BLOCK)


def tone_arrives(path: Path | None, freq_hz: float, start: float, blocks: int = 10) -> bool:
    """Whether ``blocks`` blocks (0.5 s) after ``start`` carry ``freq_hz``."""
    return int((tone_level(path, freq_hz, start) > ON).sum()) >= blocks


def answered_call(agent: Agent, customer: Baresip) -> str:
    engine = agent.engine
    customer.dial(agent.kamailio.aor("agent"))
    incoming = engine.wait(P.IncomingCall)
    engine.send(P.Answer(incoming.call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "confirmed")
    engine.wait(P.MediaStateChanged, lambda e: e.active)
    customer.wait_call_established()
    return incoming.call_id


def wait_switch(agent: Agent, role: str, reason: str, timeout: float = 10) -> P.AudioDeviceSwitched:
    """The first switch of ``role`` for ``reason`` since the last ``mark`` (any order)."""
    engine = agent.engine
    since = getattr(agent, "switch_mark", 0)

    def found() -> P.AudioDeviceSwitched | None:
        switches = engine.all_of(P.AudioDeviceSwitched)[since:]
        return next((e for e in switches if e.role == role and e.reason == reason), None)

    wait_until(lambda: found() is not None, timeout,
               message=lambda: f"no {reason} switch of the {role}: "
                               f"{engine.all_of(P.AudioDeviceSwitched)[since:]}")
    event = found()
    assert event is not None
    return event


def mark(agent: Agent) -> None:
    """Make ``wait_switch`` look only at switches reported from now on."""
    agent.switch_mark = len(agent.engine.all_of(P.AudioDeviceSwitched))  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- hot-plug


def test_unplugging_the_headset_mid_call_moves_the_audio_and_plugging_it_back_returns_it(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tone_wav: Any, tmp_path: Path
) -> None:
    engine = agent.engine
    engine.send(P.SetAudioPolicy(fallback_devices=["spare", "desk_mic"]))
    engine.wait(P.DevicesChanged, lambda e: e.speaker == "headset" and not e.fallback)
    agent.register()
    customer = baresip_factory("customer", tone_wav=tone_wav(CUSTOMER_HZ))
    pulse.play_into_mic(tone_wav(HEADSET_MIC_HZ, rate=16000))
    pulse.play("desk_mic_feed", tone_wav(DESK_MIC_HZ, rate=16000))
    spare = pulse.record("spare.monitor", tmp_path / "spare.wav")
    call_id = answered_call(agent, customer)
    wait_until(
        lambda: tone_arrives(customer.recording_path, HEADSET_MIC_HZ, 0.0),
        20, message="the customer never heard the headset microphone",
    )  # fmt: skip

    # Unplug: the headset and its microphone go away together.
    heard_before = customer.heard_seconds()
    spare_before = spare.seconds()
    mark(agent)
    unplugged_at = time.monotonic()
    pulse.unload_sinks("headset", "mic_feed")
    speaker = wait_switch(agent, "speaker", "unplugged")
    microphone = wait_switch(agent, "microphone", "unplugged")
    moved_after = time.monotonic() - unplugged_at
    assert (speaker.previous, speaker.current) == ("headset", "spare")
    assert (microphone.previous, microphone.current) == ("headset_mic", "desk_mic")
    assert "unplugged" in speaker.message and '"spare"' in speaker.message
    assert moved_after < SWITCH_SECONDS, f"the audio moved after {moved_after:.2f} s"
    devices = engine.wait(P.DevicesChanged, lambda e: e.speaker == "spare")
    assert devices.fallback and devices.microphone == "desk_mic"
    # The far end hears the desk microphone; the agent hears the customer on the spare.
    wait_until(
        lambda: tone_arrives(customer.recording_path, DESK_MIC_HZ, heard_before),
        20, message="the customer did not hear the fallback microphone",
    )  # fmt: skip
    wait_until(
        lambda: tone_arrives(spare.path, CUSTOMER_HZ, spare_before),
        20, message="the customer was not heard on the fallback speaker",
    )  # fmt: skip

    # Plug back in: the audio returns to the headset.
    mark(agent)
    pulse.load_sink("headset")
    pulse.load_sink("mic_feed")
    pulse.play_into_mic(tone_wav(HEADSET_MIC_HZ, rate=16000))
    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    back = wait_switch(agent, "speaker", "returned")
    wait_switch(agent, "microphone", "returned")
    assert (back.previous, back.current) == ("spare", "headset")
    assert "back" in back.message
    heard_back = customer.heard_seconds()
    wait_until(
        lambda: tone_arrives(customer.recording_path, HEADSET_MIC_HZ, heard_back),
        20, message="the customer did not hear the headset microphone again",
    )  # fmt: skip
    wait_until(
        lambda: tone_arrives(headset.path, CUSTOMER_HZ, 0.0),
        20, message="the customer was not heard on the headset again",
    )  # fmt: skip

    # One call all along.
    assert not [e for e in engine.all_of(P.CallStateChanged) if e.state == "disconnected"]
    assert not [e for e in engine.all_of(P.EngineError) if e.kind == "bug"]
    engine.send(P.Hangup(call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    customer.wait_call_closed()


def test_without_return_to_headset_the_call_stays_on_the_fallback(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tone_wav: Any
) -> None:
    engine = agent.engine
    engine.send(P.SetAudioPolicy(fallback_devices=["spare", "desk_mic"], return_to_headset=False))
    agent.register()
    customer = baresip_factory("customer", tone_wav=tone_wav(CUSTOMER_HZ))
    call_id = answered_call(agent, customer)
    mark(agent)
    pulse.unload_sinks("headset")
    wait_switch(agent, "speaker", "unplugged")
    pulse.load_sink("headset")
    # The watcher sees the sink come back and looks again; the call keeps the spare.
    changed = len(engine.all_of(P.DevicesChanged))
    wait_until(lambda: len(engine.all_of(P.DevicesChanged)) > changed, 10,
               message="the engine did not notice the headset coming back")
    assert engine.all_of(P.DevicesChanged)[-1].speaker == "spare"
    assert not [e for e in engine.all_of(P.AudioDeviceSwitched) if e.reason == "returned"]
    engine.send(P.Hangup(call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")


def test_a_headset_missing_at_start_is_reported_with_the_fallback_in_use(
    kamailio: Kamailio, pulse: PulseAudio, tmp_path: Path
) -> None:
    pulse.unload_sinks("headset")
    agent = start_agent_with(kamailio, tmp_path, speaker="headset", fallbacks=["spare"])
    try:
        switch = wait_switch(agent, "speaker", "missing")
        assert switch.current == "spare"
        assert switch.message == 'Headset "headset" is not connected — using "spare".'
        devices = agent.engine.wait(P.DevicesChanged, lambda e: e.speaker == "spare"
                                    and e.fallback)
        assert any('"headset" is not connected' in w for w in devices.warnings)
        # Plugged in while idle: it is used again.
        mark(agent)
        pulse.load_sink("headset")
        wait_switch(agent, "speaker", "returned")
    finally:
        stop_agent(agent)


def start_agent_with(
    kamailio: Kamailio, work_dir: Path, speaker: str, fallbacks: list[str]
) -> Agent:
    """An engine configured as the app does it: devices and policy right after Configure."""
    engine = EngineProcess(work_dir)
    try:
        engine.wait(P.EngineReady)
        sip_port = free_port("both")
        rtp_first, _ = free_port_range(40)
        engine.send(P.Configure(P.EngineConfig(sip_port=sip_port, rtp_port=rtp_first,
                                               rtp_port_range=40)))
        engine.wait(P.Configured)
        engine.send(P.SetAudioPolicy(fallback_devices=fallbacks))
        engine.send(P.SetDevices("headset_mic", speaker, "ringer"))
    except BaseException:
        engine.stop()
        raise
    return Agent(engine, kamailio, sip_port)


# --------------------------------------------------------------------------- ringing


def ring(agent: Agent, customer: Baresip) -> str:
    customer.dial(agent.kamailio.aor("agent"))
    incoming = agent.engine.wait(P.IncomingCall)
    agent.engine.wait(P.CallStateChanged, lambda e: e.state == "early")
    return incoming.call_id


def stop_ringing(agent: Agent, call_id: str, customer: Baresip) -> None:
    agent.engine.send(P.Decline(call_id))
    agent.engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    customer.wait_call_closed()


def ring_level(path: Path, start: float) -> float:
    """RMS of the ring from ``start`` s (silent gaps included)."""
    samples, _rate = read_partial_wav(path)
    part = samples[round(start * 16000) :]
    return float(np.sqrt(np.mean(part**2))) if part.size else 0.0


def test_ring_on_both_devices_at_the_ring_volume_and_key_accounts_ring_differently(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tmp_path: Path
) -> None:
    engine = agent.engine
    engine.send(P.SetAudioPolicy(ring_on="both", ring_volume=80))
    engine.wait(P.DevicesChanged, lambda e: sorted(e.ring_on) == ["headset", "ringer"])
    agent.register()
    customer = baresip_factory("customer")
    ringer = pulse.record("ringer.monitor", tmp_path / "ringer.wav")
    headset = pulse.record("headset.monitor", tmp_path / "headset.wav")
    spare = pulse.record("spare.monitor", tmp_path / "spare.wav")
    for recording in (ringer, headset, spare):
        recording.wait_seconds(0.2)

    # Normal ring, on both devices, and not elsewhere.
    call_id = ring(agent, customer)
    starts = {r.path: r.seconds() for r in (ringer, headset, spare)}
    wait_until(lambda: ring_bursts(ringer, starts[ringer.path], 400.0) >= 2, 20,
               message="the ringer did not ring twice")
    wait_until(lambda: ring_bursts(headset, starts[headset.path], 400.0) >= 2, 20,
               message="the headset did not ring")
    loud = float(tone_level(ringer.path, 400.0, starts[ringer.path]).max())
    assert ring_level(spare.path, starts[spare.path]) < 0.002
    normal_freq = main_frequency(ringer, starts[ringer.path])
    assert normal_freq == pytest.approx(400, abs=15) or normal_freq == pytest.approx(450, abs=15)

    # The screen-pop says key account: the tone changes while it rings.
    engine.send(P.SetRingStyle(call_id, "key_account"))
    key_start = ringer.seconds()
    wait_until(lambda: ring_bursts(ringer, key_start, 880.0) >= 6, 20,
               message="the key-account tone did not play")
    key_bursts = bursts(tone_level(ringer.path, 880.0, key_start), ON, BLOCK)
    short = [length for _start, length in key_bursts if length <= 0.3]
    assert len(short) >= 5  # 0.15 s bursts, unlike the normal ring's 0.4 s
    # Past the recorder's own delay, only the key-account tone is left.
    assert main_frequency(ringer, key_start + 1.0) in (pytest.approx(880, abs=20),
                                                       pytest.approx(1320, abs=20))
    assert tone_level(ringer.path, 400.0, key_start + 1.0).max() < ON
    stop_ringing(agent, call_id, customer)

    # Half the volume, half the level.
    engine.send(P.SetAudioPolicy(ring_on="ringer", ring_volume=40))
    engine.wait(P.DevicesChanged, lambda e: e.ring_on == ["ringer"])
    call_id = ring(agent, customer)
    quiet_start = ringer.seconds()
    head_start = headset.seconds()
    wait_until(lambda: ring_bursts(ringer, quiet_start, 400.0) >= 2, 20,
               message="the ringer did not ring at 40 %")
    quiet = float(tone_level(ringer.path, 400.0, quiet_start).max())
    assert quiet / loud == pytest.approx(0.5, abs=0.12)
    assert ring_level(headset.path, head_start) < 0.002  # ringer only now
    stop_ringing(agent, call_id, customer)


def ring_bursts(recording: Recording, start: float, freq_hz: float) -> int:
    return len(bursts(tone_level(recording.path, freq_hz, start), ON, BLOCK))


def main_frequency(recording: Recording, start: float) -> float:
    samples, rate = read_partial_wav(recording.path)
    part = samples[round(start * rate) :]
    loud = np.flatnonzero(np.abs(part) > 0.02)
    if loud.size == 0:
        return 0.0
    return peak_frequency(part[loud[0] : loud[0] + round(0.12 * rate)], rate)

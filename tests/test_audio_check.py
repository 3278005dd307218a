""""Test my audio" and the in-call microphone check: the real engine, PulseAudio null sinks.

The agent's microphone is ``headset_mic`` (the monitor of ``mic_feed``: what is played
into it is what the agent "says") and the headset is ``headset`` (its monitor is what the
agent hears). A tone into the microphone must come back on the headset; a silent feed is
"silent"; a full-scale square wave is "clipping".
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from softphone import protocol as P
from tests.peers.audio import read_partial_wav, tone_envelope, write_square
from tests.peers.engine import Agent, EngineProcess, start_agent, stop_agent
from tests.peers.kamailio import Kamailio
from tests.peers.net import free_port, free_port_range, wait_until
from tests.peers.pulse import PulseAudio

pytestmark = pytest.mark.peers

MIC_HZ = 700.0
SPEECH_HZ = 500.0
ON = 0.03
BLOCK = 0.05
TEST_SECONDS = 3.0


@pytest.fixture
def engine(pulse: PulseAudio, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[EngineProcess]:
    """A configured engine with an empty private TMPDIR (to see that nothing is written)."""
    scratch = tmp_path / "engine-tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    process = EngineProcess(tmp_path)
    try:
        process.wait(P.EngineReady)
        rtp_first, _ = free_port_range(40)
        process.send(P.Configure(P.EngineConfig(sip_port=free_port("both"), rtp_port=rtp_first,
                                                rtp_port_range=40)))
        process.wait(P.Configured)
        process.send(P.SetDevices("headset_mic", "headset", "ringer"))
        process.wait(P.DevicesChanged, lambda e: e.speaker == "headset")
        yield process
    finally:
        code = process.stop()
        assert code == 0, f"engine exited with {code}"
    assert not list(scratch.iterdir()), "the engine wrote temporary files"


def finished(engine: EngineProcess, timeout: float = 20.0) -> P.AudioTestProgress:
    return engine.wait(P.AudioTestProgress, lambda e: e.phase in ("done", "failed"), timeout)


def tone_seconds(path: Path, freq_hz: float) -> float:
    """How long ``freq_hz`` is heard in a recording (still being written or not)."""
    samples, rate = read_partial_wav(path)
    return float((tone_envelope(samples, rate, freq_hz, BLOCK) > ON).sum()) * BLOCK


def loudest(path: Path) -> float:
    samples, _rate = read_partial_wav(path)
    return float(np.abs(samples).max()) if samples.size else 0.0


def test_a_tone_into_the_microphone_is_played_back_on_the_headset_with_levels(
    engine: EngineProcess, pulse: PulseAudio, tone_wav: Any, tmp_path: Path
) -> None:
    pulse.play_into_mic(tone_wav(MIC_HZ, rate=16000), latency_msec=20)
    heard = pulse.record("headset.monitor", tmp_path / "heard.wav")
    heard.wait_seconds(0.2)
    engine.send(P.StartAudioTest(TEST_SECONDS, "headset_mic", "headset"))
    first = engine.wait(P.AudioTestProgress)
    assert (first.phase, first.microphone, first.speaker) == ("recording", "headset_mic",
                                                              "headset")
    engine.wait(P.AudioTestProgress, lambda e: e.phase == "playing", timeout=15)
    # Nothing reaches the headset while recording: the playback starts after it.
    done = finished(engine)
    assert done.phase == "done", done.message
    assert done.verdict == "ok"
    assert "works" in done.message and '"headset"' in done.message
    wait_until(lambda: tone_seconds(heard.path, MIC_HZ) >= TEST_SECONDS - 0.4, 10,
               message=lambda: f"the headset played {tone_seconds(heard.path, MIC_HZ)} s "
                               "of the microphone's tone")
    assert tone_seconds(heard.path, MIC_HZ) <= TEST_SECONDS + 0.3  # once, not looped
    events = engine.all_of(P.AudioTestProgress)
    recording = [e for e in events if e.phase == "recording"]
    playing = [e for e in events if e.phase == "playing"]
    assert len(recording) >= 3 * TEST_SECONDS and len(playing) >= 3 * TEST_SECONDS
    assert max(e.level for e in recording) == pytest.approx(0.5, abs=0.1)  # the tone's peak
    assert max(e.level for e in playing) == pytest.approx(0.5, abs=0.1)
    assert recording[-1].elapsed <= TEST_SECONDS
    assert not engine.all_of(P.EngineError)


def test_a_silent_microphone_is_reported_and_nothing_is_played(
    engine: EngineProcess, pulse: PulseAudio, tmp_path: Path
) -> None:
    heard = pulse.record("headset.monitor", tmp_path / "heard.wav")
    heard.wait_seconds(0.2)
    engine.send(P.StartAudioTest(2.0))  # the system defaults: the pulse default devices
    result = finished(engine)
    assert (result.phase, result.verdict) == ("failed", "silent")
    assert result.message.startswith("No sound was heard from")
    assert not [e for e in engine.all_of(P.AudioTestProgress) if e.phase == "playing"]
    heard.wait_seconds(heard.seconds() + 0.3)
    assert loudest(heard.path) < 0.002


def test_a_full_scale_square_wave_is_clipping(
    engine: EngineProcess, pulse: PulseAudio, tmp_path: Path
) -> None:
    square = write_square(tmp_path / "square.wav", 200.0, 60.0)
    pulse.play_into_mic(square, latency_msec=20)
    engine.send(P.StartAudioTest(2.0, "headset_mic", "headset"))
    result = finished(engine)
    assert (result.phase, result.verdict) == ("done", "clipping"), result.message
    assert "too loud" in result.message


def test_missing_devices_are_named_and_a_second_test_waits_for_the_first(
    engine: EngineProcess, pulse: PulseAudio, tone_wav: Any
) -> None:
    engine.send(P.StartAudioTest(2.0, "USB Headset", "headset"))
    missing = finished(engine)
    assert missing.phase == "failed"
    assert missing.message == 'Microphone "USB Headset" is not connected.'

    pulse.play_into_mic(tone_wav(MIC_HZ, rate=16000), latency_msec=20)
    engine.send(P.StartAudioTest(2.0, "headset_mic", "headset"))
    engine.wait(P.AudioTestProgress, lambda e: e.phase == "recording")
    engine.send(P.StartAudioTest(2.0, "headset_mic", "headset"))
    refused = engine.wait(P.AudioTestProgress, lambda e: e.phase == "failed")
    assert refused.message == "A test of your audio is already running."
    engine.send(P.StopAudioTest())
    stopped = engine.wait(P.AudioTestProgress, lambda e: e.phase == "failed")
    assert stopped.message == "The test was stopped."


# --------------------------------------------------------------------------- during calls


@pytest.fixture
def agent(kamailio: Kamailio, pulse: PulseAudio, tmp_path: Path) -> Iterator[Agent]:
    started = start_agent(kamailio, tmp_path)
    try:
        yield started
    finally:
        stop_agent(started)


def test_during_a_call_the_test_is_refused_and_the_microphone_is_watched(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tone_wav: Any, tmp_path: Path
) -> None:
    engine = agent.engine
    agent.register()
    customer = baresip_factory("customer", tone_wav=tone_wav(1200.0))
    customer.dial(agent.kamailio.aor("agent"))
    incoming = engine.wait(P.IncomingCall)
    engine.send(P.StartAudioTest(2.0))
    refused = engine.wait(P.AudioTestProgress, lambda e: e.phase == "failed")
    assert refused.message.startswith("Your audio cannot be tested during a call")
    engine.send(P.Answer(incoming.call_id))
    engine.wait(P.MediaStateChanged, lambda e: e.active)
    customer.wait_call_established()

    # Nothing comes from the microphone: a warning within the first seconds.
    silent = engine.wait(P.MicrophoneCheck, timeout=10)
    assert (silent.call_id, silent.verdict) == (incoming.call_id, "silent")
    assert "caller may not hear you" in silent.message

    # The gain turned far too high: clipping.
    square = pulse.play_into_mic(write_square(tmp_path / "square.wav", 200.0, 60.0),
                                 latency_msec=20)
    clipping = engine.wait(P.MicrophoneCheck, timeout=10)
    assert clipping.verdict == "clipping"

    # Back to a normal voice: said once, then the check is over for this call.
    square.stop()
    pulse.play_into_mic(tone_wav(SPEECH_HZ, rate=16000, amplitude=0.3), latency_msec=20)
    fine = engine.wait(P.MicrophoneCheck, timeout=10)
    assert (fine.verdict, fine.message) == ("ok", "Your microphone works again.")
    engine.send(P.Hangup(incoming.call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")
    assert len(engine.all_of(P.MicrophoneCheck)) == 3
    assert not [e for e in engine.all_of(P.EngineError) if e.kind == "bug"]


def test_a_test_in_progress_stops_when_a_call_comes_in(
    agent: Agent, pulse: PulseAudio, baresip_factory: Any, tone_wav: Any
) -> None:
    engine = agent.engine
    agent.register()
    customer = baresip_factory("customer")
    pulse.play_into_mic(tone_wav(MIC_HZ, rate=16000), latency_msec=20)
    engine.send(P.StartAudioTest(10.0, "headset_mic", "headset"))
    engine.wait(P.AudioTestProgress, lambda e: e.phase == "recording")
    customer.dial(agent.kamailio.aor("agent"))
    stopped = engine.wait(P.AudioTestProgress, lambda e: e.phase == "failed")
    assert stopped.message == "The test stopped because a call came in."
    incoming = engine.wait(P.IncomingCall)
    engine.send(P.Answer(incoming.call_id))
    engine.wait(P.MediaStateChanged, lambda e: e.active)
    ok = engine.wait(P.MicrophoneCheck, timeout=10)
    assert (ok.verdict, ok.message) == ("ok", "Your microphone works.")
    engine.send(P.Hangup(incoming.call_id))
    engine.wait(P.CallStateChanged, lambda e: e.state == "disconnected")

"""Microphone verdicts, the in-call check and the audio test's phases over fake streams.

The fake streams call back only when the test says so, so every phase change and every
timeout is driven step by step, without devices or sleeps.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from softphone import protocol as P
from softphone.audiolevel import judge
from softphone.engine.audiocheck import AudioTest, CallMicCheck
from softphone.engine.devices import DeviceInfo

RATE = 16000
MIC = DeviceInfo(1, "Jabra Mic", 1, 0)
HEADSET = DeviceInfo(2, "Jabra", 0, 2)


def tone(seconds: float, amplitude: float, freq: float = 440.0) -> Any:
    t = np.arange(round(seconds * RATE)) / RATE
    return np.round(amplitude * 32767 * np.sin(2 * np.pi * freq * t)).astype(np.int16)


def square(seconds: float) -> Any:
    return np.where(tone(seconds, 0.5) >= 0, 32767, -32767).astype(np.int16)


# --------------------------------------------------------------------------- verdicts


@pytest.mark.parametrize(("samples", "speech", "verdict"), [
    (np.zeros(RATE, dtype=np.int16), True, "silent"),
    (tone(1, 10 ** (-65 / 20)), False, "silent"),  # a few bits of noise: -65 dBFS
    (tone(1, 10 ** (-55 / 20)), False, "ok"),  # room noise while the agent listens
    (tone(1, 10 ** (-55 / 20)), True, "too_quiet"),  # ...but not a voice
    (tone(1, 10 ** (-12 / 20)), True, "ok"),  # speech level
    (square(1), True, "clipping"),
    (square(1), False, "clipping"),
])
def test_verdicts_follow_the_thresholds(samples: Any, speech: bool, verdict: str) -> None:
    assert judge(samples, speech_expected=speech).verdict == verdict


def test_a_few_peaks_at_full_scale_are_not_clipping_but_more_than_one_percent_is() -> None:
    voice = tone(1, 0.5)
    voice[:100] = 32767  # 0.6 %: plosives touching full scale
    assert judge(voice, True).verdict == "ok"
    voice[:200] = 32767  # 1.25 %
    report = judge(voice, True)
    assert report.verdict == "clipping" and report.clipped_share == pytest.approx(0.0125)


# --------------------------------------------------------------------------- in a call


def frames(samples: Any) -> list[bytes]:
    data = samples.tobytes()
    return [data[i:i + 640] for i in range(0, len(data), 640)]


def test_in_call_check_waits_for_the_stream_then_warns_once_and_says_when_it_is_back() -> None:
    check = CallMicCheck("c1", RATE)
    # The drift buffer's padding before the microphone delivers does not count.
    assert check.update(frames(np.zeros(5 * RATE, dtype=np.int16)), flowing=False) == []
    assert check.update(frames(np.zeros(3 * RATE, dtype=np.int16)), flowing=True) == []
    [(verdict, message)] = check.update(frames(np.zeros(RATE, dtype=np.int16)), True)
    assert verdict == "silent" and "caller may not hear you" in message
    assert check.update(frames(np.zeros(RATE, dtype=np.int16)), True) == []  # said once
    assert check.update(frames(square(1)), True) == [
        ("clipping", "Your microphone is too loud: the caller hears you distorted. Turn "
                     "its level down.")]
    assert check.update(frames(tone(1, 0.3)), True) == [("ok", "Your microphone works again.")]
    assert check.finished
    assert check.update(frames(np.zeros(5 * RATE, dtype=np.int16)), True) == []


def test_in_call_check_of_a_working_microphone_reports_ok_once() -> None:
    check = CallMicCheck("c1", RATE)
    assert check.update(frames(tone(3.5, 0.2)), True) == [("ok", "Your microphone works.")]
    assert check.finished


# --------------------------------------------------------------------------- the test


class FakeStream:
    def __init__(self, sd: FakeSd, kind: str, device: int, callback: Any, **_: Any) -> None:
        if device in sd.broken:
            raise RuntimeError("Device unavailable")
        self.sd, self.kind, self.device, self.callback = sd, kind, device, callback
        self.active = False
        self.closed = False
        sd.streams.append(self)

    def start(self) -> None:
        self.active = True

    def abort(self) -> None:
        self.active = False

    def close(self) -> None:
        self.closed = True

    def deliver(self, samples: Any) -> None:
        """Input: one callback per 10 ms block."""
        for start in range(0, len(samples), RATE // 100):
            block = samples[start:start + RATE // 100]
            self.callback(block.tobytes(), len(block), None, None)

    def pull(self, blocks: int) -> bytes:
        """Output: ``blocks`` callbacks; stops like PortAudio on CallbackStop."""
        played = b""
        for _ in range(blocks):
            if not self.active:
                break
            out = bytearray(2 * RATE // 100)
            try:
                self.callback(out, RATE // 100, None, None)
            except FakeSd.CallbackStop:
                self.active = False
            played += bytes(out)
        return played


class FakeSd:
    class CallbackStop(Exception):
        pass

    def __init__(self) -> None:
        self.streams: list[FakeStream] = []
        self.broken: set[int] = set()

    def RawInputStream(self, device: int, callback: Any, **kw: Any) -> FakeStream:
        return FakeStream(self, "input", device, callback, **kw)

    def RawOutputStream(self, device: int, callback: Any, **kw: Any) -> FakeStream:
        return FakeStream(self, "output", device, callback, **kw)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_test(seconds: float = 1.0) -> tuple[AudioTest, FakeSd, Clock, list[P.AudioTestProgress]]:
    events: list[P.AudioTestProgress] = []
    sd, clock = FakeSd(), Clock()
    test = AudioTest(events.append, sd, rate=RATE, seconds=seconds, microphone=MIC,
                     speaker=HEADSET, clock=clock)
    return test, sd, clock, events


def test_records_plays_back_the_same_samples_and_reports_levels_and_the_verdict() -> None:
    test, sd, clock, events = make_test()
    test.start()
    mic = sd.streams[0]
    assert (mic.kind, mic.device, events[-1].phase) == ("input", 1, "recording")
    voice = tone(1.2, 0.5)
    for part in range(12):
        mic.deliver(voice[part * RATE // 10:(part + 1) * RATE // 10])
        clock.now += 0.1
        assert test.tick()
    recording = [e for e in events if e.phase == "recording"]
    assert len(recording) >= 10 and max(e.level for e in recording) == pytest.approx(0.5, 0.01)
    assert events[-1].phase == "playing" and mic.closed
    headset = sd.streams[1]
    assert (headset.kind, headset.device) == ("output", 2)
    played = headset.pull(120)
    kept = voice[round(0.1 * RATE):][:RATE]  # the first 100 ms (start-up click) are left out
    assert played[:RATE * 2] == kept.tobytes()
    assert not headset.active  # stopped itself after the last block
    clock.now += 0.1
    assert not test.tick()
    done = events[-1]
    assert (done.phase, done.verdict, done.microphone, done.speaker) == (
        "done", "ok", "Jabra Mic", "Jabra")
    assert done.message == 'Your microphone works: you heard yourself on "Jabra".'
    assert headset.closed and test._playback == b"" and test._recorded == []


def test_a_silent_microphone_fails_without_playing_anything() -> None:
    test, sd, _clock, events = make_test()
    test.start()
    sd.streams[0].deliver(np.zeros(round(1.2 * RATE), dtype=np.int16))
    assert not test.tick()
    assert (events[-1].phase, events[-1].verdict) == ("failed", "silent")
    assert events[-1].message.startswith('No sound was heard from "Jabra Mic"')
    assert len(sd.streams) == 1


def test_devices_that_cannot_open_or_stop_delivering_fail_in_plain_words() -> None:
    test, sd, clock, events = make_test()
    sd.broken.add(1)
    test.start()
    assert not test.running
    assert events[-1].message.startswith('The microphone "Jabra Mic" cannot be opened')

    test, sd, clock, events = make_test()
    test.start()
    sd.streams[0].deliver(tone(0.3, 0.5))
    clock.now += 1.0 + AudioTest.GRACE_SECONDS + 0.1
    assert not test.tick()
    assert events[-1].message.startswith('The microphone "Jabra Mic" stopped sending sound')

    test, sd, clock, events = make_test()
    sd.broken.add(2)
    test.start()
    sd.streams[0].deliver(tone(1.2, 0.5))
    assert not test.tick()
    assert events[-1].phase == "failed" and events[-1].verdict == "ok"
    assert events[-1].message.startswith('The headset "Jabra" cannot be opened')


def test_cancel_closes_the_streams_and_says_why() -> None:
    test, sd, _clock, events = make_test()
    test.start()
    test.cancel("The test stopped because a call came in.")
    assert sd.streams[0].closed and not test.running
    assert (events[-1].phase, events[-1].message) == (
        "failed", "The test stopped because a call came in.")

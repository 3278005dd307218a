"""Is the microphone heard? Level verdicts, the in-call check and "Test my audio".

- ``softphone.audiolevel.judge`` (shared with the pre-shift check) gives the verdicts.
- ``CallMicCheck`` watches the first seconds of a connected call's microphone and says
  when it is silent or clipping (main thread; fed the frames the bridge took from the
  microphone).
- ``AudioTest`` records a few seconds from a microphone into memory, plays them back on
  a headset, and judges them (main thread; its PortAudio callbacks only copy bytes and
  measure peaks, and never call pjsua2). The recording is kept in memory only and
  dropped when the test ends: it is never written to disk.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from softphone.audiolevel import judge
from softphone.engine.audio import SAMPLE_BYTES, Samples, close_quietly, peak, start_stream
from softphone.engine.devices import DeviceInfo
from softphone.protocol import AudioTestPhase, AudioTestProgress, MaybeVerdict, MicVerdict

log = logging.getLogger(__name__)

#: The first 100 ms of a new stream may hold the device's start-up click.
SKIP_SECONDS = 0.1


def verdict_message(verdict: MicVerdict, microphone: str, speaker: str) -> str:
    """The agent-facing sentence for a test's verdict."""
    mic = f'"{microphone}"' if microphone else "the system default microphone"
    if verdict == "silent":
        return (f"No sound was heard from {mic}. Check that it is plugged in and not "
                "muted, then try again.")
    if verdict == "clipping":
        return (f"{_capital(mic)} is too loud: your voice distorts. Turn its level down "
                "in the system's sound settings, then try again.")
    if verdict == "too_quiet":
        return (f"Your voice is very quiet on {mic}. Bring the microphone closer to your "
                "mouth or turn its level up.")
    where = f'"{speaker}"' if speaker else "the system default output"
    return f"Your microphone works: you heard yourself on {where}."


def call_message(verdict: MicVerdict, recovered: bool = False) -> str:
    """The agent-facing sentence for the in-call check."""
    if verdict == "silent":
        return ("Your microphone is silent: the caller may not hear you. Check that it "
                "is plugged in and not muted.")
    if verdict == "clipping":
        return ("Your microphone is too loud: the caller hears you distorted. Turn its "
                "level down.")
    return "Your microphone works again." if recovered else "Your microphone works."


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _samples(chunks: Iterable[bytes]) -> Samples:
    return np.frombuffer(b"".join(chunks), dtype=np.int16)


# --------------------------------------------------------------------------- in a call


Emit = Callable[[Any], None]


class CallMicCheck:
    """The microphone in the first seconds of one call (main thread).

    ``update`` gets the microphone frames the bridge port took since the last turn and
    whether the microphone stream is delivering yet: frames from before it delivers are
    the drift buffer's padding, not the device, and are left out. After ``SKIP`` of real
    sound, ``WINDOW`` seconds are judged; a warning (silent, clipping) is then re-judged
    every ``RECHECK`` seconds until the microphone sounds right again, which is reported
    once. Returns the reports to send (normally one per call).
    """

    SKIP_SECONDS = 0.3
    WINDOW_SECONDS = 3.0
    RECHECK_SECONDS = 1.0

    def __init__(self, call_id: str, rate: int) -> None:
        self.call_id = call_id
        self.rate = rate
        self._skip = round(self.SKIP_SECONDS * rate)
        self._want = round(self.WINDOW_SECONDS * rate)
        self._chunks: list[bytes] = []
        self._count = 0
        self.warned: MicVerdict | None = None
        self.finished = False

    def update(self, frames: list[bytes], flowing: bool) -> list[tuple[MicVerdict, str]]:
        if self.finished or not flowing:
            return []
        for frame in frames:
            count = len(frame) // SAMPLE_BYTES
            drop = min(self._skip, count)  # the stream's first moments
            self._skip -= drop
            if count > drop:
                self._chunks.append(frame[drop * SAMPLE_BYTES:])
                self._count += count - drop
        if self._count < self._want:
            return []
        report = judge(_samples(self._chunks), speech_expected=False)
        self._chunks, self._count = [], 0
        self._want = round(self.RECHECK_SECONDS * self.rate)
        log.info("microphone in call %s: %s (peak %.1f dBFS, %.2f %% clipped)", self.call_id,
                 report.verdict, report.peak_dbfs, 100 * report.clipped_share)
        if report.verdict == "ok":
            self.finished = True
            return [("ok", call_message("ok", recovered=self.warned is not None))]
        if report.verdict == self.warned:
            return []
        self.warned = report.verdict
        return [(report.verdict, call_message(report.verdict))]


# --------------------------------------------------------------------------- the test


class AudioTest:
    """Record ``seconds`` from one device, play them back on another (main thread).

    ``start`` opens the microphone; ``tick`` (every loop turn) reports the level every
    ``REPORT_SECONDS``, moves on to playing once enough was recorded, and ends with
    "done" or "failed". A device that stops delivering fails the test after its phase's
    length plus ``GRACE_SECONDS``. ``cancel`` stops it with a reason. Only the PortAudio
    callbacks run elsewhere: they append to or read from the sample buffers and keep a
    running peak, and never block.
    """

    REPORT_SECONDS = 0.1
    GRACE_SECONDS = 4.0

    def __init__(self, emit: Emit, sd: Any, *, rate: int, seconds: float,
                 microphone: DeviceInfo, speaker: DeviceInfo,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.emit = emit
        self.sd = sd
        self.rate = rate
        self.seconds = seconds
        self.microphone = microphone
        self.speaker = speaker
        self.clock = clock
        self.phase: AudioTestPhase = "recording"
        self.verdict: MicVerdict | None = None
        self._target = round(seconds * rate)
        self._skip = round(SKIP_SECONDS * rate)
        # Written by the input callback only, until the phase moves on:
        self._recorded: list[bytes] = []
        self._recorded_count = 0
        self._skipped = 0
        # Read by the output callback only:
        self._playback = b""
        self._position = 0
        self._played_at: float | None = None
        self._peak = 0.0
        self.error: BaseException | None = None
        self._stream: Any = None
        self._phase_started = 0.0
        self._next_report = 0.0

    @property
    def running(self) -> bool:
        return self.phase in ("recording", "playing")

    # ----------------------------------------------------------------- main thread

    def start(self) -> None:
        """Open the microphone and start recording (main thread)."""
        try:
            stream = start_stream(self.sd.RawInputStream, self.microphone.index, self.rate,
                                  self._on_input)
        except Exception as exc:
            log.warning("audio test: microphone %s: %s", self.microphone.name, exc)
            self._fail(f'The microphone "{self.microphone.name}" cannot be opened. It may '
                       "be unplugged or used by another program.")
            return
        self._stream = stream
        self._begin("recording")

    def tick(self) -> bool:
        """One loop turn: report, move on, time out. False once the test is over."""
        if not self.running:
            return False
        now = self.clock()
        if self.error is not None:
            log.warning("audio test: callback failed: %r", self.error)
            self._fail("The test stopped because of a problem with the sound device.")
            return False
        if self.phase == "recording":
            if self._recorded_count >= self._target:
                self._recorded_done()
            elif now - self._phase_started > self.seconds + self.GRACE_SECONDS:
                got = self._recorded_count / self.rate
                log.warning("audio test: only %.2f s recorded", got)
                self._fail(f'The microphone "{self.microphone.name}" stopped sending sound. '
                           "Check that it is plugged in.")
        elif self.phase == "playing":
            if self._played_at is not None and not self._stream_active():
                self._finish()  # the device played the last block out
            elif now - self._phase_started > self.seconds + self.GRACE_SECONDS:
                self._fail(f'The headset "{self.speaker.name}" stopped playing. Check that '
                           "it is plugged in.")
        if self.running and now >= self._next_report:
            self._report(now)
        return self.running

    def cancel(self, message: str) -> None:
        """Stop now and report ``message`` as the reason (main thread)."""
        if self.running:
            self._fail(message)

    def _stream_active(self) -> bool:
        try:
            return bool(self._stream.active)
        except Exception:  # PortAudio no longer knows the stream
            return False

    def _begin(self, phase: AudioTestPhase) -> None:
        self.phase = phase
        self._phase_started = self.clock()
        self._peak = 0.0
        self._report(self._phase_started)

    def _report(self, now: float) -> None:
        self._next_report = now + self.REPORT_SECONDS
        level, self._peak = self._peak, 0.0
        done = self._recorded_count if self.phase == "recording" else self._position // SAMPLE_BYTES
        self.emit(self._event(self.phase, level=round(level, 3),
                              elapsed=round(min(done / self.rate, self.seconds), 2)))

    def _event(self, phase: AudioTestPhase, level: float = 0.0, elapsed: float = 0.0,
               verdict: MaybeVerdict = "", message: str = "") -> AudioTestProgress:
        return AudioTestProgress(phase, level, elapsed, self.seconds, verdict, message,
                                 self.microphone.name, self.speaker.name)

    def _recorded_done(self) -> None:
        self._close_stream()
        samples = _samples(self._recorded)[: self._target]
        self._recorded, self._recorded_count = [], self._target
        report = judge(samples, speech_expected=True)
        self.verdict = report.verdict
        log.info("audio test: microphone %s: %s (peak %.1f dBFS, %.2f %% clipped)",
                 self.microphone.name, report.verdict, report.peak_dbfs,
                 100 * report.clipped_share)
        if report.verdict == "silent":
            self._fail(verdict_message("silent", self.microphone.name, self.speaker.name),
                       verdict="silent")
            return
        self._playback = samples.tobytes()
        del samples
        try:
            stream = start_stream(self.sd.RawOutputStream, self.speaker.index, self.rate,
                                  self._on_output)
        except Exception as exc:
            log.warning("audio test: headset %s: %s", self.speaker.name, exc)
            self._fail(f'The headset "{self.speaker.name}" cannot be opened. It may be '
                       "unplugged or used by another program.", verdict=report.verdict)
            return
        self._stream = stream
        self._begin("playing")

    def _finish(self) -> None:
        self._close_stream()
        assert self.verdict is not None
        self._forget()
        self.phase = "done"
        self.emit(self._event("done", elapsed=self.seconds, verdict=self.verdict,
                              message=verdict_message(self.verdict, self.microphone.name,
                                                   self.speaker.name)))

    def _fail(self, message: str, verdict: MaybeVerdict = "") -> None:
        self._close_stream()
        self._forget()
        self.phase = "failed"
        self.emit(self._event("failed", verdict=verdict, message=message))

    def _forget(self) -> None:
        """Drop the recording: it lives only as long as the test."""
        self._recorded = []
        self._playback = b""

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is not None:
            close_quietly(stream)

    # ----------------------------------------------------------------- PortAudio threads

    def _on_input(self, indata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio input thread: keep the samples (in memory) and the running peak."""
        try:
            if self._recorded_count >= self._target:
                return
            data = bytes(indata)
            if self._skipped < self._skip:
                drop = min(self._skip - self._skipped, frames)
                self._skipped += drop
                data = data[drop * SAMPLE_BYTES:]
            if not data:
                return
            self._recorded.append(data)
            self._recorded_count += len(data) // SAMPLE_BYTES
            self._peak = max(self._peak, peak(np.frombuffer(data, dtype=np.int16)))
        except Exception as exc:  # raising would stop the stream for good
            self.error = self.error or exc

    def _on_output(self, outdata: Any, frames: int, time_info: Any, status: Any) -> None:
        """PortAudio output thread: the next block of the recording; after the last one,
        ``CallbackStop`` lets PortAudio play out what the device holds, then stop."""
        try:
            size = frames * SAMPLE_BYTES
            start = self._position
            block = self._playback[start:start + size]
            self._position = start + len(block)
            if block:
                self._peak = max(self._peak, peak(np.frombuffer(block, dtype=np.int16)))
            last = len(block) < size
            outdata[:] = block + bytes(size - len(block)) if last else block
        except Exception as exc:  # raising would stop the stream for good
            outdata[:] = bytes(len(outdata))
            self.error = self.error or exc
            return
        if last:
            self._played_at = self._played_at or self.clock()
            raise self.sd.CallbackStop

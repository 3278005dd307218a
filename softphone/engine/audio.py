"""Audio between pjmedia's conference bridge and the sound card (sounddevice).

One ``AudioBridgePort`` (a ``pj.AudioMediaPort``) sits in the bridge: pjmedia's clock
thread calls ``onFrameReceived`` (bridge -> speaker) and ``onFrameRequested``
(microphone -> bridge) every 20 ms. PortAudio runs the input and output stream
callbacks on its own threads. The two sides never call each other: they exchange
16-bit mono samples through ``DriftBuffer`` s, which absorb the drift between the sound
card clock and pjmedia's clock so the delay never grows over a long call.

The per-frame paths move bytes, not numpy arrays: at 300 callbacks a second, numpy's
per-call overhead on 160-sample blocks cost more than the copying itself.
"""

from __future__ import annotations

import collections
import ctypes
import logging
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pjsua2 as pj

from softphone.engine.devices import portaudio

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.int16]
FRAME_MS = 20
SAMPLE_BYTES = 2


# --------------------------------------------------------------------------- buffers


class DriftBuffer:
    """A single-producer, single-consumer FIFO of 16-bit samples that keeps its delay small.

    ``write`` (producer thread) appends bytes; ``read`` (consumer thread) returns exactly
    ``count`` samples. No locks: appending to and deleting from the front of a bytearray
    are each one step under the GIL, and only the consumer deletes.

    The consumer watches the *floor*: the least audio left just after a read over a
    window of reads, i.e. the spare at the tightest moment, jitter of both threads
    included. It steers the floor towards ``margin`` (10 ms) by reading a little more or
    less than it returns, resampling one read at a time by at most an eighth: that
    follows the drift between the two clocks either way and trims the excess left after
    priming, without the clicks of dropped or repeated blocks. The mean fill is then
    about the margin plus half the largest block (``target``): ~20 ms with 10 ms device
    blocks and 20 ms bridge frames.

    An underrun pads with silence, raises the margin by 5 ms (at most 60 ms: this
    machine's jitter is larger than assumed) and waits until a read plus the margin is
    queued again. Underruns in the first half second after ``clear`` do not count: a
    device stream pre-fills its own buffer in a burst of reads as it starts.

    A consumer that fell far behind (a stall, or a producer that ran while nobody read)
    drops the oldest audio at once. The producer stops queueing past ``LIMIT_MS`` when
    nobody reads.
    """

    MARGIN_STEP_MS = 5
    MAX_MARGIN_MS = 60
    WINDOW_MS = 500
    SLACK_MS = 2  # floor error tolerated before adjusting
    EXCESS_MS = 80  # spare beyond the margin that is dropped at once
    LIMIT_MS = 500
    START_MS = 500

    def __init__(self, rate: int, margin_ms: int = 10) -> None:
        self.rate = rate
        self._base_margin = self._samples(margin_ms)
        self._data = bytearray()
        self._largest_write = 0  # producer only
        # consumer only:
        self.margin = self._base_margin
        self._largest_read = 0
        self._primed = False
        self._floor = 0
        self._window_left = 0
        self._adjust = 0  # samples still to remove (> 0) or add (< 0)
        self._since_clear = 0  # samples read
        self.underruns = 0
        self.dropped = 0  # samples removed to cut the delay
        self.added = 0  # samples stretched in to grow it

    def _samples(self, ms: int) -> int:
        return self.rate * ms // 1000

    @property
    def target(self) -> int:
        """The mean fill aimed at, in samples: the margin plus half the largest block."""
        return self.margin + max(self._largest_read, self._largest_write) // 2

    def fill(self) -> int:
        """Samples queued (any thread)."""
        return len(self._data) // SAMPLE_BYTES

    def write(self, data: Any) -> None:
        """Producer thread: queue a bytes-like chunk of samples (copied)."""
        size = len(data) // SAMPLE_BYTES
        self._largest_write = max(self._largest_write, min(size, self.rate // 5))
        if self.fill() > self._samples(self.LIMIT_MS):
            return  # nobody is reading: do not grow without bound
        self._data.extend(data)

    def read(self, count: int) -> bytes:
        """Consumer thread: exactly ``count`` samples, silence-padded on underrun."""
        self._largest_read = max(self._largest_read, min(count, self.rate // 5))
        self._since_clear += count
        fill = self.fill()
        if not self._primed:
            if fill < count + self.margin:
                return bytes(count * SAMPLE_BYTES)
            self._primed = True
            self._restart_window()
        if fill < count:
            return self._underrun(count, fill)
        spare = fill - count
        if spare > self.margin + self._samples(self.EXCESS_MS):
            self._discard(spare - self.margin)
            fill = self.fill()
        step = self._next_step(count, fill)
        data = self._take(count + step)
        if step:
            data = _resample(data, count)
            if step > 0:
                self.dropped += step
            else:
                self.added -= step
        self._observe(count)
        return data

    def clear(self) -> None:
        """Consumer thread (or while neither side runs): drop everything, start afresh."""
        del self._data[: self.fill() * SAMPLE_BYTES]
        self._primed = False
        self.margin = self._base_margin
        self._adjust = 0
        self._since_clear = 0

    def _underrun(self, count: int, fill: int) -> bytes:
        self._primed = False
        self._adjust = 0
        if self._since_clear > self._samples(self.START_MS):
            self.underruns += 1
            self.margin = min(self.margin + self._samples(self.MARGIN_STEP_MS),
                              self._samples(self.MAX_MARGIN_MS))
        return self._take(fill) + bytes((count - fill) * SAMPLE_BYTES)

    def _next_step(self, count: int, fill: int) -> int:
        """Samples this read consumes beyond (> 0) or short of (< 0) what it returns."""
        if self._adjust == 0:
            return 0
        limit = max(1, count // 8)
        step = max(-limit, min(limit, self._adjust, fill - count))
        self._adjust -= step
        if self._adjust == 0:
            self._restart_window()  # judge the floor afresh, after the change
        return step

    def _observe(self, count: int) -> None:
        """After a read: track the floor; at the end of a window, plan an adjustment."""
        self._floor = min(self._floor, self.fill())
        self._window_left -= count
        if self._window_left > 0 or self._adjust != 0:
            return
        error = self._floor - self.margin
        if abs(error) > self._samples(self.SLACK_MS):
            self._adjust = error
        self._restart_window()

    def _restart_window(self) -> None:
        self._floor = self.fill()
        self._window_left = self._samples(self.WINDOW_MS)

    def _discard(self, count: int) -> None:
        self.dropped += count
        self._take(count)

    def _take(self, count: int) -> bytes:
        size = count * SAMPLE_BYTES
        data = bytes(self._data[:size])
        del self._data[:size]
        return data


def _resample(data: bytes, count: int) -> bytes:
    """``data`` (16-bit samples) squeezed or stretched to ``count`` samples, linearly."""
    samples = np.frombuffer(data, dtype=np.int16)
    positions = np.linspace(0, len(samples) - 1, count)
    stretched = np.interp(positions, np.arange(len(samples)), samples)
    return np.round(stretched).astype(np.int16).tobytes()


def peak(samples: Samples) -> float:
    """Peak level 0.0..1.0 of int16 samples."""
    if len(samples) == 0:
        return 0.0
    return min(1.0, max(int(samples.max()), -int(samples.min())) / 32767.0)


# --------------------------------------------------------------------------- frames

_VectorLayout = ctypes.c_void_p * 3  # libstdc++ std::vector: begin, end, capacity


def _read_fast(frame: Any) -> bytes:
    vec = frame.buf
    begin, end, _ = _VectorLayout.from_address(int(vec.this))
    if not begin or not end or not 0 < end - begin <= 1 << 16:
        return b""
    return ctypes.string_at(begin, end - begin)


def _write_fast(frame: Any, data: bytes) -> None:
    vec = frame.buf
    vec.resize(len(data))
    begin, end, _ = _VectorLayout.from_address(int(vec.this))
    if not begin or (end or 0) - begin != len(data):
        raise RuntimeError("unexpected std::vector layout")
    ctypes.memmove(begin, data, len(data))


def _read_slow(frame: Any) -> bytes:
    return bytes(frame.buf)


def _write_slow(frame: Any, data: bytes) -> None:
    frame.buf = pj.ByteVector(data)


def _fast_copy_works() -> bool:
    """Check the ctypes view of ``std::vector<unsigned char>`` on this build (any thread)."""
    try:
        pattern = bytes(range(256)) * 3
        frame = pj.MediaFrame()
        frame.buf = pj.ByteVector(pattern)
        if _read_fast(frame) != pattern:
            return False
        other = bytes(reversed(pattern))[:640]
        _write_fast(frame, other)
        return bytes(frame.buf) == other and len(frame.buf) == 640
    except Exception:
        log.exception("fast frame copy self-test failed")
        return False


FAST_FRAME_COPY = _fast_copy_works()
read_frame: Callable[[Any], bytes] = _read_fast if FAST_FRAME_COPY else _read_slow
write_frame: Callable[[Any, bytes], None] = _write_fast if FAST_FRAME_COPY else _write_slow


# --------------------------------------------------------------------------- the port


class AudioBridgePort(pj.AudioMediaPort):  # type: ignore[misc]
    """The bridge's view of the sound card (created on the main thread).

    ``onFrameReceived`` and ``onFrameRequested`` run on pjmedia's clock thread. They only
    touch the two drift buffers and the peak meters (measured here, once per 20 ms
    frame, rather than in the sound card's 10 ms callbacks); an exception is kept in
    ``self.error`` for the main loop to report once, since raising here would be
    swallowed every 20 ms.
    """

    def __init__(self, rate: int, speaker: DriftBuffer, microphone: DriftBuffer) -> None:
        super().__init__()
        self.rate = rate
        self.frame_samples = rate * FRAME_MS // 1000
        self.speaker = speaker
        self.microphone = microphone
        self.muted = False
        self.mic_peak = 0.0
        self.speaker_peak = 0.0
        self.error: BaseException | None = None
        #: While set (main thread), every microphone frame is also appended here, before
        #: muting, for the microphone check; the main thread takes them with ``take_tap``.
        self.mic_tap: collections.deque[bytes] | None = None
        self._silence = bytes(SAMPLE_BYTES * self.frame_samples)
        self._audio = pj.PJMEDIA_FRAME_TYPE_AUDIO  # module lookups cost in a 50 Hz path

    def create(self) -> None:
        """Register the port in the conference bridge (main thread, after libStart)."""
        fmt = pj.MediaFormatAudio()
        fmt.type = pj.PJMEDIA_TYPE_AUDIO
        fmt.init(pj.PJMEDIA_FORMAT_PCM, self.rate, 1, FRAME_MS * 1000, 16)
        self.createPort("softphone-sound-card", fmt)

    def take_levels(self) -> tuple[float, float]:
        """Peak levels (microphone, speaker) since the last call (main thread)."""
        levels = (self.mic_peak, self.speaker_peak)
        self.mic_peak = self.speaker_peak = 0.0
        return levels

    def start_tap(self, seconds: float) -> None:
        """Start copying microphone frames for a check, at most ``seconds`` of them
        (main thread)."""
        self.mic_tap = collections.deque(maxlen=max(1, round(seconds * 1000 / FRAME_MS)))

    def take_tap(self) -> list[bytes]:
        """The microphone frames copied since the last call (main thread)."""
        tap = self.mic_tap
        frames: list[bytes] = []
        while tap:
            try:
                frames.append(tap.popleft())
            except IndexError:
                break
        return frames

    def stop_tap(self) -> None:
        self.mic_tap = None

    def onFrameReceived(self, frame: Any) -> None:
        """pjmedia clock thread: what the bridge mixed for us goes to the speaker."""
        try:
            if frame.type != self._audio:
                return
            data = read_frame(frame)
            if data:
                self.speaker.write(data)
                self.speaker_peak = max(self.speaker_peak, _peak_of(data))
        except Exception as exc:
            self.error = self.error or exc

    def onFrameRequested(self, frame: Any) -> None:
        """pjmedia clock thread: hand the bridge one frame from the microphone."""
        try:
            data = self.microphone.read(self.frame_samples)
            self.mic_peak = max(self.mic_peak, _peak_of(data))  # the meter shows it muted too
            tap = self.mic_tap
            if tap is not None:
                tap.append(data)
            if self.muted:
                data = self._silence
            write_frame(frame, data)
            frame.size = len(data)
            frame.type = self._audio
        except Exception as exc:
            self.error = self.error or exc


def _peak_of(data: bytes) -> float:
    return peak(np.frombuffer(data, dtype=np.int16))


# --------------------------------------------------------------------------- sound card


class StreamHealth:
    """Whether a PortAudio stream still delivers (callbacks on the stream's thread,
    ``check`` on the main thread).

    A device that goes away does not always raise: a stream on an ALSA PCM whose
    sound-server sink was unloaded just stops calling back for a few seconds before it
    errors, and may then resume on nothing. So a stream counts as gone when it stopped
    (PortAudio made it inactive), when it delivered and then stalled for ``STALL_SECONDS``,
    or when it never started delivering within ``START_SECONDS``.
    """

    STALL_SECONDS = 0.5
    START_SECONDS = 6.0
    FLOWING_CALLS = 10

    def __init__(self) -> None:
        self.opened_at = time.monotonic()
        self.calls = 0
        self.last = self.opened_at
        self.flowing_at: float | None = None  # when the stream started delivering

    def tick(self) -> None:
        """Stream thread: one callback happened (two attribute writes, no locks)."""
        self.calls += 1
        self.last = time.monotonic()

    def check(self, stream: Any, now: float) -> str:
        """Main thread: "" while healthy, else why the stream counts as gone."""
        try:
            active = bool(stream.active)
        except Exception:  # PortAudio no longer knows the stream
            active = False
        if not active:
            return "it stopped"
        if self.calls >= self.FLOWING_CALLS:
            if self.flowing_at is None:
                self.flowing_at = self.last
            if now - self.last > self.STALL_SECONDS:
                return f"no audio for {now - self.last:.1f} s"
        elif now - self.opened_at > self.START_SECONDS:
            return "it never started"
        return ""


class SoundCard:
    """The microphone and speaker streams (opened and closed on the main thread).

    Their PortAudio callbacks only copy bytes between the device and the drift buffers;
    they never block and never call pjsua2.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.speaker_buffer = DriftBuffer(rate)
        self.microphone_buffer = DriftBuffer(rate)
        self.error: BaseException | None = None  # from a PortAudio callback
        self._input: Any = None
        self._output: Any = None
        self.input_device: int | None = None
        self.output_device: int | None = None
        self.input_health = StreamHealth()
        self.output_health = StreamHealth()

    @property
    def running(self) -> bool:
        return self._input is not None or self._output is not None

    def open(self, microphone: int | None, speaker: int | None) -> list[str]:
        """Open both streams; return plain-words problems (main thread)."""
        self.close()
        problems = [self.open_input(microphone), self.open_output(speaker)]
        return [problem for problem in problems if problem]

    def open_input(self, device: int | None) -> str:
        """(Re)open the microphone stream on ``device``; "" or a problem (main thread)."""
        self._close_one("input")
        self.microphone_buffer.clear()
        if device is None:
            return "No microphone is available."
        self.input_health = StreamHealth()
        self._input = self._start_stream(
            portaudio().RawInputStream, device, self._on_input, "microphone")
        if isinstance(self._input, str):
            problem, self._input = self._input, None
            return problem
        self.input_device = device
        return ""

    def open_output(self, device: int | None) -> str:
        """(Re)open the speaker stream on ``device``; "" or a problem (main thread)."""
        self._close_one("output")
        self.speaker_buffer.clear()
        if device is None:
            return "No speaker or headset is available."
        self.output_health = StreamHealth()
        self._output = self._start_stream(
            portaudio().RawOutputStream, device, self._on_output, "speaker")
        if isinstance(self._output, str):
            problem, self._output = self._output, None
            return problem
        self.output_device = device
        return ""

    def _start_stream(self, stream_class: Any, device: Any, callback: Any, what: str) -> Any:
        """Open and start one 10 ms mono int16 stream; the problem as text on failure."""
        try:
            return start_stream(stream_class, device, self.rate, callback)
        except Exception as exc:
            return f"The {what} cannot be opened: {exc}"

    def problems(self, now: float) -> dict[str, str]:
        """Streams that stopped delivering: {"input"/"output": why} (main thread)."""
        found = {}
        if self._input is not None:
            why = self.input_health.check(self._input, now)
            if why:
                found["input"] = why
        if self._output is not None:
            why = self.output_health.check(self._output, now)
            if why:
                found["output"] = why
        return found

    def close(self) -> None:
        """Stop and close both streams (main thread)."""
        self._close_one("input")
        self._close_one("output")

    def _close_one(self, kind: str) -> None:
        if kind == "input":
            stream, self._input, self.input_device = self._input, None, None
        else:
            stream, self._output, self.output_device = self._output, None, None
        if stream is not None:
            close_quietly(stream)

    def log_buffers(self) -> None:
        """Log how much audio the drift buffers hold (main thread; diagnostics)."""
        for name, buffer in (("speaker", self.speaker_buffer), ("mic", self.microphone_buffer)):
            log.debug(
                "%s buffer: %d ms queued (target %d ms), margin %d ms, %d underruns, "
                "%d samples dropped, %d added",
                name,
                buffer.fill() * 1000 // self.rate,
                buffer.target * 1000 // self.rate,
                buffer.margin * 1000 // self.rate,
                buffer.underruns,
                buffer.dropped,
                buffer.added,
            )

    def _on_input(self, indata: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio input thread: microphone samples into the bridge's buffer."""
        try:
            self.input_health.tick()
            self.microphone_buffer.write(indata)
        except Exception as exc:  # raising would stop the stream for good
            self.error = self.error or exc

    def _on_output(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio output thread: the bridge's mix to the speaker."""
        try:
            self.output_health.tick()
            outdata[:] = self.speaker_buffer.read(frames)
        except Exception as exc:  # raising would stop the stream for good
            outdata[:] = bytes(len(outdata))
            self.error = self.error or exc


def start_stream(stream_class: Any, device: Any, rate: int, callback: Any) -> Any:
    """Open and start one 10 ms mono int16 stream (main thread); on failure the stream
    is closed and the error raised."""
    stream = None
    try:
        stream = stream_class(device=device, samplerate=rate, channels=1, dtype="int16",
                              blocksize=rate // 100, latency="low", callback=callback)
        stream.start()
    except Exception:
        if stream is not None:
            close_quietly(stream)
        raise
    return stream


def close_quietly(stream: Any) -> None:
    """Abort and close a stream, logging (not raising) what fails (main thread)."""
    try:
        stream.abort()
        stream.close()
    except Exception:
        log.exception("closing an audio stream failed")

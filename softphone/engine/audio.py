"""Audio between pjmedia's conference bridge and the sound card (sounddevice).

One ``AudioBridgePort`` (a ``pj.AudioMediaPort``) sits in the bridge: pjmedia's clock
thread calls ``onFrameReceived`` (bridge -> speaker) and ``onFrameRequested``
(microphone -> bridge) every 20 ms. PortAudio runs the input and output stream
callbacks on its own threads. The two sides never call each other: they exchange
samples through ``DriftBuffer`` s, which absorb the drift between the sound card clock
and pjmedia's clock so the delay never grows over a long call.
"""

from __future__ import annotations

import ctypes
import logging
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pjsua2 as pj

from softphone.engine.devices import portaudio

log = logging.getLogger(__name__)

Samples = npt.NDArray[np.int16]
FRAME_MS = 20


# --------------------------------------------------------------------------- buffers


class DriftBuffer:
    """A single-producer, single-consumer sample FIFO that keeps its fill small.

    ``write`` (producer thread) appends a chunk; ``read`` (consumer thread) returns
    exactly ``n`` samples. No locks: the deque's append/popleft are atomic and each
    counter has one writer. The consumer keeps the fill near ``target`` samples: above
    ``high`` it drops the oldest samples down to the target; on underrun it pads with
    silence and waits until the target is reached again. The producer drops new chunks
    when nobody consumes (fill above ``limit``).
    """

    def __init__(self, rate: int, target_ms: int = 40, high_ms: int = 100) -> None:
        self.rate = rate
        self._base_target = rate * target_ms // 1000
        self._margin = rate * (high_ms - target_ms) // 1000
        self._chunks: deque[Samples] = deque()
        self._written = 0  # producer only
        self._consumed = 0  # consumer only
        self._head: Samples = np.zeros(0, np.int16)  # consumer only
        self._primed = False  # consumer only
        self._largest_chunk = 0
        self.underruns = 0
        self.dropped = 0

    @property
    def target(self) -> int:
        """Samples to keep queued: the base target, or two of the largest chunks seen."""
        return max(self._base_target, 2 * self._largest_chunk)

    @property
    def high(self) -> int:
        return self.target + self._margin

    def fill(self) -> int:
        """Samples queued (any thread; may be momentarily low, never high)."""
        return self._written - self._consumed

    def write(self, samples: Samples) -> None:
        """Producer thread: queue a chunk the caller will not modify again."""
        count = len(samples)
        if count == 0:
            return
        self._largest_chunk = max(self._largest_chunk, min(count, self.rate // 5))
        if self.fill() > 4 * self.high:
            return  # nobody is reading: do not grow without bound
        self._chunks.append(samples)
        self._written += count

    def read(self, count: int) -> Samples:
        """Consumer thread: exactly ``count`` samples, silence-padded on underrun."""
        self._largest_chunk = max(self._largest_chunk, min(count, self.rate // 5))
        fill = self.fill()
        if not self._primed:
            if fill < self.target:
                return np.zeros(count, np.int16)
            self._primed = True
        if fill > self.high:
            self._discard(fill - self.target)
            fill = self.fill()
        if fill < count:
            self.underruns += 1
            self._primed = False
            out = np.zeros(count, np.int16)
            out[:fill] = self._take(fill)
            return out
        return self._take(count)

    def clear(self) -> None:
        """Consumer thread (or while neither side runs): drop everything queued."""
        self._discard(self.fill())
        self._primed = False

    def _discard(self, count: int) -> None:
        self.dropped += count
        self._take(count)

    def _take(self, count: int) -> Samples:
        parts: list[Samples] = []
        needed = count
        while needed > 0:
            if len(self._head) == 0:
                self._head = self._chunks.popleft()
            part = self._head[:needed]
            self._head = self._head[needed:]
            parts.append(part)
            needed -= len(part)
        self._consumed += count
        if not parts:
            return np.zeros(0, np.int16)
        return parts[0].copy() if len(parts) == 1 else np.concatenate(parts)


def peak(samples: Samples) -> float:
    """Peak level 0.0..1.0 of int16 samples."""
    if len(samples) == 0:
        return 0.0
    return min(1.0, float(np.abs(samples.astype(np.int32)).max()) / 32767.0)


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
    touch the two drift buffers; an exception is kept in ``self.error`` for the main
    loop to report once, since raising here would be swallowed every 20 ms.
    """

    def __init__(self, rate: int, speaker: DriftBuffer, microphone: DriftBuffer) -> None:
        super().__init__()
        self.rate = rate
        self.frame_samples = rate * FRAME_MS // 1000
        self.speaker = speaker
        self.microphone = microphone
        self.muted = False
        self.error: BaseException | None = None
        self._silence = bytes(2 * self.frame_samples)

    def create(self) -> None:
        """Register the port in the conference bridge (main thread, after libStart)."""
        fmt = pj.MediaFormatAudio()
        fmt.type = pj.PJMEDIA_TYPE_AUDIO
        fmt.init(pj.PJMEDIA_FORMAT_PCM, self.rate, 1, FRAME_MS * 1000, 16)
        self.createPort("softphone-sound-card", fmt)

    def onFrameReceived(self, frame: Any) -> None:
        """pjmedia clock thread: what the bridge mixed for us goes to the speaker."""
        try:
            if frame.type != pj.PJMEDIA_FRAME_TYPE_AUDIO:
                return
            data = read_frame(frame)
            if data:
                self.speaker.write(np.frombuffer(data, dtype=np.int16))
        except Exception as exc:
            self.error = self.error or exc

    def onFrameRequested(self, frame: Any) -> None:
        """pjmedia clock thread: hand the bridge one frame from the microphone."""
        try:
            samples = self.microphone.read(self.frame_samples)
            data = self._silence if self.muted else samples.tobytes()
            write_frame(frame, data)
            frame.size = len(data)
            frame.type = pj.PJMEDIA_FRAME_TYPE_AUDIO
        except Exception as exc:
            self.error = self.error or exc


# --------------------------------------------------------------------------- sound card


class SoundCard:
    """The microphone and speaker streams (opened and closed on the main thread).

    Their PortAudio callbacks only move samples between the device and the drift
    buffers and track peak levels; they never block and never call pjsua2.
    """

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.speaker_buffer = DriftBuffer(rate)
        self.microphone_buffer = DriftBuffer(rate)
        self.mic_peak = 0.0
        self.speaker_peak = 0.0
        self.error: BaseException | None = None  # from a PortAudio callback
        self._input: Any = None
        self._output: Any = None

    @property
    def running(self) -> bool:
        return self._input is not None or self._output is not None

    def open(self, microphone: int | None, speaker: int | None) -> list[str]:
        """Open both streams; return plain-words problems (main thread)."""
        sd = portaudio()
        self.close()
        problems: list[str] = []
        self.speaker_buffer.clear()
        self.microphone_buffer.clear()
        if microphone is None:
            problems.append("No microphone is available.")
        else:
            self._input = self._start_stream(
                sd.InputStream, microphone, self._on_input, "microphone", problems)
        if speaker is None:
            problems.append("No speaker or headset is available.")
        else:
            self._output = self._start_stream(
                sd.OutputStream, speaker, self._on_output, "speaker", problems)
        return problems

    def _start_stream(
        self, stream_class: Any, device: Any, callback: Any, what: str, problems: list[str]
    ) -> Any:
        """Open and start one 10 ms mono int16 stream; None (and a problem) on failure."""
        try:
            stream = stream_class(
                device=device, samplerate=self.rate, channels=1, dtype="int16",
                blocksize=self.rate // 100, latency="low", callback=callback,
            )
            stream.start()
        except Exception as exc:
            problems.append(f"The {what} cannot be opened: {exc}")
            return None
        return stream

    def close(self) -> None:
        """Stop and close both streams (main thread)."""
        for stream in (self._input, self._output):
            if stream is not None:
                try:
                    stream.abort()
                    stream.close()
                except Exception:
                    log.exception("closing an audio stream failed")
        self._input = self._output = None

    def log_buffers(self) -> None:
        """Log how much audio the drift buffers hold (main thread; diagnostics)."""
        for name, buffer in (("speaker", self.speaker_buffer), ("mic", self.microphone_buffer)):
            log.debug(
                "%s buffer: %d ms queued (target %d ms), %d underruns, %d samples dropped",
                name,
                buffer.fill() * 1000 // self.rate,
                buffer.target * 1000 // self.rate,
                buffer.underruns,
                buffer.dropped,
            )

    def take_levels(self) -> tuple[float, float]:
        """Peak levels since the last call (main thread)."""
        levels = (self.mic_peak, self.speaker_peak)
        self.mic_peak = self.speaker_peak = 0.0
        return levels

    def _on_input(self, indata: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio input thread: microphone samples into the bridge's buffer."""
        try:
            samples = np.array(indata[:, 0], dtype=np.int16)
            self.microphone_buffer.write(samples)
            self.mic_peak = max(self.mic_peak, peak(samples))
        except Exception as exc:  # raising would stop the stream for good
            self.error = self.error or exc

    def _on_output(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio output thread: the bridge's mix to the speaker."""
        try:
            samples = self.speaker_buffer.read(frames)
            outdata[:, 0] = samples
            self.speaker_peak = max(self.speaker_peak, peak(samples))
        except Exception as exc:  # raising would stop the stream for good
            outdata.fill(0)
            self.error = self.error or exc

"""WAV helpers: write test tones and measure what a peer or device heard."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import numpy.typing as npt

# Samples whose magnitude stays below this (of full scale) count as silence.
SILENCE_THRESHOLD = 0.01


def write_tone(
    path: Path | str,
    freq_hz: float,
    seconds: float,
    rate: int = 16000,
    amplitude: float = 0.5,
) -> Path:
    """Write a mono 16-bit PCM sine tone to ``path`` and return the path."""
    path = Path(path)
    count = round(seconds * rate)
    t = np.arange(count, dtype=np.float64) / rate
    samples = amplitude * np.sin(2.0 * np.pi * freq_hz * t)
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path


def read_wav(path: Path | str) -> tuple[npt.NDArray[np.float64], int]:
    """Return ``(samples, rate)`` of a 16-bit WAV as floats in [-1, 1], first channel only."""
    with wave.open(str(path), "rb") as src:
        if src.getsampwidth() != 2:
            raise ValueError(f"{path}: only 16-bit PCM is supported")
        channels = src.getnchannels()
        rate = src.getframerate()
        raw = src.readframes(src.getnframes())
    data = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if channels > 1:
        data = data[: len(data) - len(data) % channels].reshape(-1, channels)[:, 0]
    return data, rate


def non_silent(samples: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Trim leading and trailing silence (below :data:`SILENCE_THRESHOLD`)."""
    loud = np.flatnonzero(np.abs(samples) >= SILENCE_THRESHOLD)
    if loud.size == 0:
        return samples[:0]
    return samples[loud[0] : loud[-1] + 1]


def dominant_frequency(path: Path | str, skip_seconds: float = 0.0) -> float:
    """Frequency in Hz of the strongest spectral peak of the non-silent part of a WAV.

    ``skip_seconds`` drops the start (e.g. jitter-buffer warm-up). Returns 0.0 if the
    remaining signal is silent.
    """
    samples, rate = read_wav(path)
    samples = non_silent(samples[round(skip_seconds * rate) :])
    if samples.size < 16:
        return 0.0
    windowed = (samples - samples.mean()) * np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(windowed))
    spectrum[0] = 0.0
    peak = int(np.argmax(spectrum))
    return float(peak * rate / samples.size)


def rms(path: Path | str, skip_seconds: float = 0.0, trim_silence: bool = False) -> float:
    """Root-mean-square level of a WAV (0.0 silence .. ~0.707 full-scale sine).

    ``skip_seconds`` drops the start; ``trim_silence`` ignores leading/trailing silence.
    """
    samples, rate = read_wav(path)
    samples = samples[round(skip_seconds * rate) :]
    if trim_silence:
        samples = non_silent(samples)
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(samples**2)))


def duration(path: Path | str) -> float:
    """Length of a WAV in seconds (0.0 if it has no frames yet)."""
    with wave.open(str(path), "rb") as src:
        return src.getnframes() / float(src.getframerate())


def wav_is_complete(path: Path | str) -> bool:
    """True if ``path`` is a RIFF/WAVE file whose header sizes match the file (finalised).

    Writers such as libsndfile put placeholder sizes in the header until the file is
    closed, so this tells a recording still being written from a finished one.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as src:
            head = src.read(12)
    except OSError:
        return False
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return False
    riff_size = int.from_bytes(head[4:8], "little")
    if riff_size != size - 8:
        return False
    try:
        duration(path)
    except (wave.Error, EOFError):
        return False
    return True


def wav_seconds_written(path: Path | str) -> float:
    """Seconds of 16-bit audio in a WAV that may still be being written (size-based).

    Reads channels and rate from the header and assumes the usual 44-byte header.
    """
    try:
        with open(path, "rb") as src:
            head = src.read(44)
        size = Path(path).stat().st_size
    except OSError:
        return 0.0
    if len(head) < 44 or head[:4] != b"RIFF":
        return 0.0
    channels = int.from_bytes(head[22:24], "little") or 1
    rate = int.from_bytes(head[24:28], "little") or 1
    return max(0, size - 44) / (2.0 * channels * rate)


def read_partial_wav(path: Path | str) -> tuple[npt.NDArray[np.float64], int]:
    """``(samples, rate)`` of a mono 16-bit WAV that may still be being written.

    Like :func:`wav_seconds_written`, trusts the file size rather than the header's
    sizes, which writers fill in only when they close the file.
    """
    with open(path, "rb") as src:
        data = src.read()
    chunk = data.find(b"data", 12, 512)
    if len(data) < 44 or data[:4] != b"RIFF" or chunk < 0:
        return np.zeros(0), 16000
    rate = int.from_bytes(data[24:28], "little") or 16000
    start = chunk + 8
    usable = (len(data) - start) // 2 * 2
    samples = np.frombuffer(data[start : start + usable], "<i2").astype(np.float64) / 32768.0
    return samples, rate


def tone_envelope(
    samples: npt.NDArray[np.float64], rate: int, freq_hz: float, block_seconds: float = 0.05
) -> npt.NDArray[np.float64]:
    """Amplitude (0..1 of full scale) of the ``freq_hz`` component in each block.

    Blocks are ``block_seconds`` long and Hann-windowed, so a strong tone a few hundred
    Hz away adds well under 1 % of its own amplitude.
    """
    size = max(16, round(block_seconds * rate))
    count = samples.size // size
    if count == 0:
        return np.zeros(0)
    blocks = samples[: count * size].reshape(count, size)
    window = np.hanning(size)
    probe = window * np.exp(-2j * np.pi * freq_hz * np.arange(size) / rate)
    return np.asarray(2.0 * np.abs(blocks @ probe) / window.sum(), dtype=np.float64)


def peak_frequency(samples: npt.NDArray[np.float64], rate: int) -> float:
    """Frequency in Hz of the strongest spectral peak of ``samples`` (0.0 if too short)."""
    if samples.size < 16:
        return 0.0
    windowed = (samples - samples.mean()) * np.hanning(samples.size)
    spectrum = np.abs(np.fft.rfft(windowed))
    spectrum[0] = 0.0
    return float(int(np.argmax(spectrum)) * rate / samples.size)


def bursts(
    envelope: npt.NDArray[np.float64], threshold: float, block_seconds: float
) -> list[tuple[float, float]]:
    """``(start, length)`` in seconds of each run of blocks above ``threshold``."""
    loud = np.concatenate(([False], envelope > threshold, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(loud))
    starts, ends = edges[::2], edges[1::2]
    return [
        (float(s) * block_seconds, float(e - s) * block_seconds)
        for s, e in zip(starts, ends, strict=True)
    ]


def write_square(
    path: Path | str, freq_hz: float, seconds: float, rate: int = 16000, amplitude: float = 1.0
) -> Path:
    """Write a mono 16-bit PCM square wave (``amplitude`` 1.0: full scale) to ``path``."""
    path = Path(path)
    count = round(seconds * rate)
    t = np.arange(count, dtype=np.float64) / rate
    samples = amplitude * np.sign(np.sin(2.0 * np.pi * freq_hz * t) + 1e-12)
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(pcm.tobytes())
    return path

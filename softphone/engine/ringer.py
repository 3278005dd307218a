"""The ring cadence on the ringer device.

``Ringer.start``/``stop`` run on the main (pjsua) thread; the PortAudio output callback
only copies the looping ring tone and never blocks.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path
from typing import Any

import numpy as np

from softphone.engine.audio import Samples
from softphone.engine.devices import portaudio
from softphone.resources import resources_dir

log = logging.getLogger(__name__)

RING_RATE = 16000
DEFAULT_RINGTONE = resources_dir() / "sounds" / "ring.wav"


def two_tone_cadence(rate: int = RING_RATE) -> Samples:
    """A ring cadence: 400+450 Hz, 0.4 s on, 0.2 s off, 0.4 s on, 2 s off."""

    def burst(seconds: float) -> Any:
        t = np.arange(int(rate * seconds)) / rate
        tone = 0.5 * np.sin(2 * np.pi * 400 * t) + 0.5 * np.sin(2 * np.pi * 450 * t)
        fade = np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)  # 10 ms ramps: no clicks
        return tone * fade

    def gap(seconds: float) -> Any:
        return np.zeros(int(rate * seconds))

    signal = np.concatenate([burst(0.4), gap(0.2), burst(0.4), gap(2.0)])
    return (signal * 0.4 * 32767).astype(np.int16)


def load_wav(path: Path) -> tuple[Samples, int]:
    """Mono int16 samples and rate of a 16-bit PCM WAV (channels are mixed down)."""
    with wave.open(str(path), "rb") as wav:
        if wav.getsampwidth() != 2:
            raise ValueError(f"{path} is not 16-bit PCM")
        channels, rate = wav.getnchannels(), wav.getframerate()
        data = np.frombuffer(wav.readframes(wav.getnframes()), dtype=np.int16)
    if channels > 1:
        data = data.reshape(-1, channels).mean(axis=1).astype(np.int16)
    if len(data) == 0:
        raise ValueError(f"{path} has no audio")
    return data, rate


def load_ringtone(path: str) -> tuple[Samples, int]:
    """The configured ringtone, else the shipped WAV, else a generated cadence."""
    for candidate in (Path(path) if path else None, DEFAULT_RINGTONE):
        if candidate is None:
            continue
        try:
            return load_wav(candidate)
        except (OSError, ValueError, EOFError, wave.Error) as exc:
            log.warning("ringtone %s not usable: %s", candidate, exc)
    return two_tone_cadence(), RING_RATE


class Ringer:
    """Plays the ringtone in a loop on one output device while calls ring."""

    def __init__(self, ringtone_path: str = "") -> None:
        self._tone, self._rate = load_ringtone(ringtone_path)
        self._position = 0
        self._stream: Any = None
        self.device: int | None = None

    @property
    def ringing(self) -> bool:
        return self._stream is not None

    def start(self) -> str:
        """Start ringing (main thread); returns a plain-words problem or ""."""
        sd = portaudio()
        if self._stream is not None:
            return ""
        if self.device is None:
            return "No device is available for the ringer."
        self._position = 0
        try:
            self._stream = sd.OutputStream(
                device=self.device,
                samplerate=self._rate,
                channels=1,
                dtype="int16",
                callback=self._on_output,
            )
            self._stream.start()
        except Exception as exc:
            self._stream = None
            return f"The ringer device cannot be opened: {exc}"
        return ""

    def stop(self) -> None:
        """Stop ringing (main thread)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            try:
                stream.abort()
                stream.close()
            except Exception:
                log.exception("closing the ringer stream failed")

    def _on_output(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio output thread: the next ``frames`` samples of the looping tone."""
        tone, start = self._tone, self._position
        indices = (np.arange(frames) + start) % len(tone)
        outdata[:, 0] = tone[indices]
        self._position = (start + frames) % len(tone)

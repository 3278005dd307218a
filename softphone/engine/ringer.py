"""The ringtone on the ringer device, the headset, or both.

``Ringer.start``/``stop`` run on the main (pjsua) thread; the PortAudio output callbacks
only copy the looping ring tone (already scaled to the ring volume) and never block.
Key-account customers get their own tone: the ``key_account`` style plays the
configured WAV, else a generated one that differs in both pitch and cadence.
"""

from __future__ import annotations

import logging
import wave
from pathlib import Path
from typing import Any

import numpy as np

from softphone.engine.audio import Samples, StreamHealth, close_quietly
from softphone.engine.devices import portaudio
from softphone.protocol import RingStyle
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


def key_account_cadence(rate: int = RING_RATE) -> Samples:
    """The key-account tone: 880+1320 Hz, three 0.15 s bursts 0.1 s apart, 1.5 s off.

    Higher and quicker than the normal ring, so the agent knows before looking.
    """
    t = np.arange(int(rate * 0.15)) / rate
    tone = 0.5 * np.sin(2 * np.pi * 880 * t) + 0.5 * np.sin(2 * np.pi * 1320 * t)
    burst = tone * np.minimum(1.0, np.minimum(t, t[::-1]) / 0.01)
    gap = np.zeros(int(rate * 0.1))
    signal = np.concatenate([burst, gap, burst, gap, burst, np.zeros(int(rate * 1.5))])
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


def load_key_account_ringtone(path: str) -> tuple[Samples, int]:
    """The configured key-account ringtone, else the generated distinct tone."""
    if path:
        try:
            return load_wav(Path(path))
        except (OSError, ValueError, EOFError, wave.Error) as exc:
            log.warning("key-account ringtone %s not usable: %s", path, exc)
    return key_account_cadence(), RING_RATE


def scaled(tone: Samples, volume: int) -> Samples:
    """``tone`` at ``volume`` percent (0-100) of its level."""
    gain = max(0, min(100, volume)) / 100.0
    return np.round(tone.astype(np.float64) * gain).astype(np.int16)


class _Loop:
    """One output stream's position in the looping tone (its own PortAudio thread)."""

    def __init__(self, ringer: Ringer) -> None:
        self.ringer = ringer
        self.position = 0
        self.tone = ringer.tone
        self.health = StreamHealth()

    def __call__(self, outdata: Any, frames: int, time: Any, status: Any) -> None:
        """PortAudio output thread: the next ``frames`` samples of the looping tone."""
        self.health.tick()
        tone = self.ringer.tone
        if tone is not self.tone:  # the style changed: start the new tone from its top
            self.tone, self.position = tone, 0
        start = self.position
        indices = (np.arange(frames) + start) % len(tone)
        outdata[:, 0] = tone[indices]
        self.position = (start + frames) % len(tone)


class Ringer:
    """Plays the ringtone in a loop on one or more output devices while calls ring.

    ``devices`` (set by the phone) are the PortAudio indices to ring on. ``configure``
    sets the tones and the volume; ``set_style`` switches between the normal and the
    key-account tone, also while ringing.
    """

    def __init__(self, ringtone_path: str = "") -> None:
        self._normal, self._normal_rate = load_ringtone(ringtone_path)
        self._key, self._key_rate = load_key_account_ringtone("")
        self._volume = 100
        self.style: RingStyle = "normal"
        self.tone: Samples = self._normal
        self._rate = self._normal_rate
        self._streams: dict[int, tuple[Any, _Loop]] = {}
        self.devices: list[int] = []

    @property
    def device(self) -> int | None:
        """The first device rung on (None: none)."""
        return self.devices[0] if self.devices else None

    @device.setter
    def device(self, index: int | None) -> None:
        self.devices = [] if index is None else [index]

    @property
    def ringing(self) -> bool:
        return bool(self._streams)

    @property
    def playing_on(self) -> list[int]:
        """Devices a ring stream is open on (main thread)."""
        return list(self._streams)

    def configure(self, ringtone: str, key_account_ringtone: str, volume: int,
                  default_ringtone: str = "") -> None:
        """Load the tones and set the volume (main thread); restarts a ring in progress."""
        self._normal, self._normal_rate = load_ringtone(ringtone or default_ringtone)
        self._key, self._key_rate = load_key_account_ringtone(key_account_ringtone)
        self._volume = volume
        self._select()

    def set_style(self, style: RingStyle) -> None:
        """Normal or key-account tone (main thread); a ring in progress switches at once."""
        if style != self.style:
            self.style = style
            self._select()

    def _select(self) -> None:
        raw, rate = ((self._key, self._key_rate) if self.style == "key_account"
                     else (self._normal, self._normal_rate))
        restart = self.ringing and rate != self._rate
        if restart:
            self.stop()
        self._rate = rate
        self.tone = scaled(raw, self._volume)  # the callbacks pick it up on their next block
        if restart:
            self.start()

    def start(self) -> str:
        """Ring on every device not ringing yet (main thread); "" or the problems."""
        sd = portaudio()
        if not self.devices:
            return "No device is available for the ringer."
        problems = []
        for device in self.devices:
            if device in self._streams:
                continue
            loop = _Loop(self)
            stream = None
            try:
                stream = sd.OutputStream(
                    device=device, samplerate=self._rate, channels=1, dtype="int16",
                    callback=loop,
                )
                stream.start()
            except Exception as exc:
                if stream is not None:
                    close_quietly(stream)
                problems.append(f"The ringer device cannot be opened: {exc}")
                continue
            self._streams[device] = (stream, loop)
        return " ".join(problems)

    def problems(self, now: float) -> dict[int, str]:
        """Ring streams that stopped delivering: {device index: why} (main thread)."""
        found = {}
        for device, (stream, loop) in self._streams.items():
            why = loop.health.check(stream, now)
            if why:
                found[device] = why
        return found

    def stop(self) -> None:
        """Stop ringing everywhere (main thread)."""
        streams, self._streams = self._streams, {}
        for stream, _loop in streams.values():
            close_quietly(stream)

"""Is a microphone heard? One verdict on recorded samples, shared by every check.

The in-call check and "Test my audio" (in the engine process) and the pre-shift check
(``softphone diagnose``) all judge a microphone here, so they say the same about the
same sound. Pure functions (any thread, any process); imports neither Qt nor pjsua2.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

#: The words a verdict can be (the protocol's ``MicVerdict`` spells the same ones).
Verdict = Literal["ok", "too_quiet", "silent", "clipping"]

#: Silent: the loudest sample stays under -60 dBFS (0.1 % of full scale). A working
#: microphone's own noise in a quiet room peaks above that (capsule and preamp noise at
#: usual gain sits around -70..-55 dBFS RMS, with peaks some 10 dB higher), while a
#: muted, dead or disconnected one delivers digital zero or a few bits (< -80 dBFS).
#: -50 dBFS would call headsets with strong noise suppression silent while the agent
#: merely listens.
SILENT_DBFS = -60.0
#: Too quiet (only when the agent was asked to speak): speech into a headset microphone
#: peaks between -20 and -6 dBFS; with peaks under -30 dBFS the caller hears a faint voice
#: even after the far end's gain control.
TOO_QUIET_DBFS = -30.0
#: A sample is at full scale when within 1 % of it (-0.09 dBFS): after the sound
#: server's resampling a flattened peak is not exactly full scale.
CLIP_LEVEL = 0.99
#: Clipping: more than 1 % of the samples at full scale (10 ms in every second). A hot
#: but sound microphone touches full scale on a few plosives, well under that; one whose
#: gain is too high flattens every syllable and goes far over it.
CLIP_SHARE = 0.01

INT16_FULL_SCALE = 32767


@dataclass(frozen=True)
class LevelReport:
    """The verdict on some samples and the measures behind it."""

    verdict: Verdict
    peak_dbfs: float
    rms_dbfs: float
    clipped_share: float


def dbfs(level: float) -> float:
    """A 0.0..1.0 level in dB of full scale (-120 for nothing)."""
    return 20 * math.log10(level) if level > 1e-6 else -120.0


def _unit_magnitudes(samples: Any) -> np.ndarray[Any, np.dtype[np.float64]]:
    """|samples| scaled to 0.0..1.0: 16-bit integers or floats in -1..1."""
    data = np.asarray(samples).reshape(-1)
    if np.issubdtype(data.dtype, np.integer):
        return np.abs(data.astype(np.float64)) / INT16_FULL_SCALE
    return np.abs(data.astype(np.float64))


def judge(samples: Any, speech_expected: bool) -> LevelReport:
    """The verdict on ``samples``: 16-bit integers, or floats in -1..1 (pure, any thread).

    ``speech_expected``: the agent was asked to speak, so a faint signal is "too_quiet";
    otherwise the agent may just be listening and only silence and clipping count.
    """
    magnitude = _unit_magnitudes(samples)
    if magnitude.size == 0:
        return LevelReport("silent", -120.0, -120.0, 0.0)
    peak_db = dbfs(min(1.0, float(magnitude.max())))
    rms_db = dbfs(float(np.sqrt(np.mean(np.square(magnitude)))))
    clipped = float(np.count_nonzero(magnitude >= CLIP_LEVEL)) / magnitude.size
    verdict: Verdict
    if peak_db < SILENT_DBFS:
        verdict = "silent"
    elif clipped > CLIP_SHARE:
        verdict = "clipping"
    elif speech_expected and peak_db < TOO_QUIET_DBFS:
        verdict = "too_quiet"
    else:
        verdict = "ok"
    return LevelReport(verdict, round(peak_db, 1), round(rms_db, 1), round(clipped, 4))

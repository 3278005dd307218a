"""The ringback tone the agent hears while the far end of an outgoing call rings.

A far end that answers 180 Ringing without SDP sends no audio, so the engine plays the
tone itself: a pjmedia tone generator in the conference bridge, transmitting to the
sound card port, so it reaches the agent's speaker like call audio. 425 Hz, 1 s on and
4 s off is the ringing tone ETSI and ITU-T E.180 recommend and most of Europe uses; a
single frequency also keeps it apart from the ring cadence (400+450 Hz) of incoming
calls. Everything here runs on the main (pjsua) thread.
"""

from __future__ import annotations

import logging
from typing import Any

import pjsua2 as pj

from softphone.engine.calls import PhoneCall

log = logging.getLogger(__name__)

RINGBACK_HZ = 425
RINGBACK_ON_MS = 1000
RINGBACK_OFF_MS = 4000
RINGBACK_VOLUME = 8192  # peak sample value: a quarter of full scale, quieter than speech
RINGING_CODE = 180


def wants_ringback(call: PhoneCall) -> bool:
    """Whether ``call`` needs the local ringback tone now (pure).

    Only an outgoing call that the far end said is ringing (180) and that has no early
    media: a 183 (or 180) with SDP brings the far end's own tone or announcement.
    """
    return (
        call.direction == "outgoing"
        and call.state == "early"
        and call.alerting
        and not call.audio.active
    )


class Ringback:
    """One looping tone generator, connected to the sound card port while wanted."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self._tone: Any = None
        self._port: Any = None  # the port the tone transmits to, while playing

    @property
    def playing(self) -> bool:
        return self._port is not None

    def start(self, port: pj.AudioMedia) -> None:
        """Play the cadence from its start into ``port`` (the sound card's bridge port)."""
        if self._port is not None:
            return
        if self._tone is None:
            tone = pj.ToneGenerator()
            tone.createToneGenerator(self.rate, 1)
            self._tone = tone
        self._tone.play(_cadence(), True)
        self._tone.startTransmit(port)
        self._port = port
        log.info("ringback tone on")

    def stop(self) -> None:
        """Disconnect and silence the tone (the generator is kept for the next call)."""
        port, self._port = self._port, None
        if port is None or self._tone is None:
            return
        try:
            self._tone.stopTransmit(port)
            self._tone.stop()
        except pj.Error as exc:
            log.warning("stopping the ringback tone: %s", exc.info())
        log.info("ringback tone off")

    def close(self) -> None:
        """Stop and free the generator; required before ``libDestroy``."""
        self.stop()
        self._tone = None


def _cadence() -> Any:
    desc = pj.ToneDesc()
    desc.freq1 = RINGBACK_HZ
    desc.freq2 = 0
    desc.on_msec = RINGBACK_ON_MS
    desc.off_msec = RINGBACK_OFF_MS
    desc.volume = RINGBACK_VOLUME
    tones = pj.ToneDescVector()
    tones.append(desc)
    return tones

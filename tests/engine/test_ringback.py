"""When the engine plays its own ringback tone (pure decision; the tone itself is tested
against a real baresip in ``tests/test_engine_process.py``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, cast

import pytest

from softphone.engine.calls import AudioState, PhoneCall
from softphone.engine.ringback import wants_ringback

NO_MEDIA = AudioState(active=False, local_hold=False, remote_hold=False, slot=-1)
EARLY_MEDIA = AudioState(active=True, local_hold=False, remote_hold=False, slot=3, index=0)


def call(direction: str = "outgoing", state: str = "early", alerting: bool = True,
         audio: AudioState = NO_MEDIA) -> PhoneCall:
    fake: Any = SimpleNamespace(direction=direction, state=state, alerting=alerting, audio=audio)
    return cast(PhoneCall, fake)


def test_an_outgoing_call_ringing_without_early_media_wants_ringback() -> None:
    assert wants_ringback(call())


@pytest.mark.parametrize(
    ("why", "subject"),
    [
        ("183 with SDP: the far end's own audio plays", call(audio=EARLY_MEDIA)),
        ("no 180 yet (100 Trying, 183 without SDP)", call(alerting=False)),
        ("still calling", call(state="calling", alerting=False)),
        ("answered", call(state="confirmed")),
        ("answer being acknowledged", call(state="connecting")),
        ("failed or hung up", call(state="disconnected")),
        ("incoming calls ring on the ringer instead", call(direction="incoming")),
    ],
)
def test_no_ringback(why: str, subject: PhoneCall) -> None:
    assert not wants_ringback(subject), why

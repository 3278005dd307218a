"""``Phone.test_audio`` and the microphone reports in the phone's state (no engine)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import protocol as P
from softphone.errors import UserFacingError
from softphone.phone import PhoneEvent
from tests.gui.harness import PhoneHarness


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[PhoneHarness]:
    phone = PhoneHarness(tmp_path)
    try:
        yield phone
    finally:
        phone.close()


def test_test_audio_asks_the_engine_with_the_chosen_or_the_given_devices(
    harness: PhoneHarness,
) -> None:
    harness.settings.set("audio.microphone", "Jabra Mic")
    harness.settings.set("audio.speaker", "Jabra")
    harness.phone.test_audio()
    harness.phone.test_audio(2.0, microphone="", speaker="Speakers")
    harness.phone.stop_audio_test()
    assert harness.commands(P.StartAudioTest) == [
        P.StartAudioTest(3.0, "Jabra Mic", "Jabra"), P.StartAudioTest(2.0, "", "Speakers")]
    assert harness.commands(P.StopAudioTest) == [P.StopAudioTest()]


def test_test_audio_is_refused_during_a_call(harness: PhoneHarness) -> None:
    harness.ring("c1", "Jane", "+15550100")
    with pytest.raises(UserFacingError, match="cannot be tested during a call"):
        harness.phone.test_audio()
    assert not harness.commands(P.StartAudioTest)


def test_an_engine_crash_during_a_test_ends_it_in_plain_words(harness: PhoneHarness) -> None:
    seen: list[PhoneEvent] = []
    harness.phone.subscribe(seen.append)
    harness.emit(P.AudioTestProgress("recording", 0.4, 1.0, 3.0, microphone="Jabra Mic",
                                     speaker="Jabra"))
    harness.crash()
    stopped = [e for e in seen if isinstance(e, P.AudioTestProgress)][-1]
    assert stopped.phase == "failed" and "engine stopped" in stopped.message
    assert harness.phone.snapshot().audio_test == stopped


def test_the_microphone_check_is_in_the_status_while_its_call_lasts(
    harness: PhoneHarness,
) -> None:
    harness.ring("c1", "Jane", "+15550100")
    harness.connect("c1")
    harness.emit(P.MicrophoneCheck("c1", "silent", "Your microphone is silent."))
    assert harness.phone.status()["audio"]["microphone_check"] == {
        "call_id": "c1", "verdict": "silent", "message": "Your microphone is silent."}
    harness.hang_up("c1")
    assert harness.phone.status()["audio"]["microphone_check"] is None

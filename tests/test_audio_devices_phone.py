"""The app's side of devices that come and go: settings to commands, status --json."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import protocol as P
from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore
from softphone.phone import Phone
from softphone.settings import Settings
from softphone.storage.history import CallHistory


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[tuple[Phone, list[P.Command]]]:
    worker = CacheStore(tmp_path / "cache.sqlite3", CacheKey(new_key_hex()))
    phone = Phone(Settings(tmp_path / "settings.toml"), CallHistory(worker), lambda: "pw")
    sent: list[P.Command] = []
    phone._supervisor.send = lambda command: sent.append(command) or True  # type: ignore[method-assign]
    yield phone, sent
    worker.close()


def test_audio_settings_become_the_engine_policy(phone: tuple[Phone, list[P.Command]]) -> None:
    app, sent = phone
    app.settings.set("audio.fallback_devices", " Laptop speakers , ,USB mic")
    assert sent[-1] == P.SetAudioPolicy(fallback_devices=["Laptop speakers", "USB mic"])
    app.settings.set("audio.ring_on", "both")
    app.settings.set("audio.ring_volume", 35)
    app.settings.set("audio.return_to_headset", False)
    policy = sent[-1]
    assert isinstance(policy, P.SetAudioPolicy)
    assert (policy.ring_on, policy.ring_volume, policy.return_to_headset) == ("both", 35, False)
    app.settings.set("audio.speaker", "Jabra")
    assert sent[-1] == P.SetDevices("", "Jabra", "")


def test_ring_style_goes_to_the_engine(phone: tuple[Phone, list[P.Command]]) -> None:
    app, sent = phone
    app.set_ring_style("in-1", "key_account")
    assert sent[-1] == P.SetRingStyle("in-1", "key_account")


def test_status_shows_the_fallback_and_what_happened(
    phone: tuple[Phone, list[P.Command]]
) -> None:
    app, _sent = phone
    switch = P.AudioDeviceSwitched("speaker", "unplugged", "Jabra", "Jabra", "Laptop",
                                   'Headset "Jabra" unplugged — using "Laptop".')
    app._handle_engine_event(switch)
    app._handle_engine_event(P.DevicesChanged(
        ["Laptop"], ["Laptop"], "Laptop", "Laptop", "Laptop",
        ['Headset "Jabra" is not connected; using "Laptop" instead.'], ["Laptop"], True))
    audio = app.status()["audio"]
    assert audio["speaker"] == "Laptop" and audio["fallback"] is True
    assert audio["ring_on"] == ["Laptop"] and audio["outputs"] == ["Laptop"]
    last = audio["last_switch"]
    assert (last["role"], last["reason"], last["current"]) == ("speaker", "unplugged", "Laptop")
    assert last["message"] == 'Headset "Jabra" unplugged — using "Laptop".' and last["at"] > 0

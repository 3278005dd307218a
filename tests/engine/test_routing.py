"""Choosing devices and moving audio when they come and go, over fake devices (no sound)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from softphone import protocol as P
from softphone.engine.devices import DeviceList, Kind, candidates, parse_devices
from softphone.engine.hotplug import DeviceWatcher, Signature
from softphone.engine.routing import AudioRouter, switch_message
from tests.peers.net import wait_until


def dev(name: str, ins: int = 0, outs: int = 0) -> dict[str, Any]:
    return {"name": name, "max_input_channels": ins, "max_output_channels": outs}


RAW = [dev("Jabra", 1, 2), dev("Laptop", 2, 2), dev("USB Speaker", 0, 2), dev("default", 32, 32)]


def listing(*names: str) -> DeviceList:
    raw = [d for d in RAW if d["name"] in names]
    return parse_devices(raw, len(raw) - 1, len(raw) - 1)


def test_candidates_follow_the_choice_the_fallbacks_then_the_default() -> None:
    found = listing("Jabra", "Laptop", "USB Speaker", "default")
    order = [d.name for d in candidates("jabra", ["USB Speaker", "Laptop"], found, "output")]
    assert order == ["Jabra", "USB Speaker", "Laptop", "default"]
    mics = [d.name for d in candidates("Jabra", ["USB Speaker", "Laptop"], found, "input")]
    assert mics == ["Jabra", "Laptop", "default"]  # the speaker has no microphone
    broken = candidates("Jabra", ["USB Speaker"], found, "output", unusable=["JABRA"])
    assert broken[0].name == "USB Speaker"
    # The system default chosen on purpose comes before the fallbacks.
    assert candidates("", ["USB Speaker"], found, "output")[0].name == "default"


def test_messages_in_plain_words() -> None:
    assert switch_message("speaker", "unplugged", "Jabra", "Jabra", "Laptop") == (
        'Headset "Jabra" unplugged — using "Laptop".')
    assert switch_message("microphone", "unplugged", "Jabra", "Jabra", "") == (
        'Microphone "Jabra" unplugged — no other microphone is available.')
    assert switch_message("speaker", "returned", "Jabra", "Laptop", "Jabra") == (
        'Headset "Jabra" is back — using it again.')


class FakeSound:
    """The sound card's interface, recording which devices are opened."""

    def __init__(self) -> None:
        self.input_device: int | None = None
        self.output_device: int | None = None
        self.broken: set[int] = set()

    @property
    def running(self) -> bool:
        return self.input_device is not None or self.output_device is not None

    def open_input(self, device: int | None) -> str:
        self.input_device = device
        return ""

    def open_output(self, device: int | None) -> str:
        self.output_device = device
        return ""

    def close(self) -> None:
        self.input_device = self.output_device = None

    def problems(self, now: float) -> dict[str, str]:
        return {"output": "no audio for 0.6 s"} if self.output_device in self.broken else {}


class FakeRinger:
    style: P.RingStyle = "normal"

    def __init__(self) -> None:
        self.devices: list[int] = []
        self.playing_on: list[int] = []

    @property
    def ringing(self) -> bool:
        return bool(self.playing_on)

    def configure(self, *args: Any) -> None:
        pass

    def set_style(self, style: P.RingStyle) -> None:
        self.style = style

    def start(self) -> str:
        self.playing_on = list(self.devices)
        return ""

    def stop(self) -> None:
        self.playing_on = []

    def problems(self, now: float) -> dict[int, str]:
        return {}


class Rig:
    def __init__(self, *names: str) -> None:
        self.events: list[P.Event] = []
        self.found = listing(*names)
        self.gone: set[str] = set()  # listed, but their sink is gone: probes fail
        self.sound = FakeSound()
        self.ringer = FakeRinger()
        self.router = AudioRouter(
            self.events.append, self.sound, self.ringer, 16000,  # type: ignore[arg-type]
            probe=self.probe, query=lambda: self.found, refresh=lambda: None,
        )

    def probe(self, index: int, kind: Kind, rate: int) -> str:
        name = self.found.devices[index].name
        return "Input/output error" if name in self.gone else ""

    def name(self, index: int | None) -> str:
        return "" if index is None else self.found.devices[index].name

    def switches(self) -> list[P.AudioDeviceSwitched]:
        return [e for e in self.events if isinstance(e, P.AudioDeviceSwitched)]


@pytest.fixture
def rig() -> Rig:
    rig = Rig("Jabra", "Laptop", "USB Speaker", "default")
    rig.router.set_policy(P.SetAudioPolicy(fallback_devices=["USB Speaker", "Laptop"],
                                           ring_on="both"))
    rig.router.set_devices(P.SetDevices("Jabra", "Jabra", "Laptop"))
    rig.router.set_sound_needed(True)
    return rig


def test_unplugged_mid_call_moves_to_the_next_fallback_and_back(rig: Rig) -> None:
    assert (rig.name(rig.sound.input_device), rig.name(rig.sound.output_device)) == (
        "Jabra", "Jabra")
    rig.gone.add("Jabra")  # the sound server's sink went away; ALSA still lists it
    rig.router.system_changed(alsa_changed=False)
    assert rig.name(rig.sound.output_device) == "USB Speaker"
    assert rig.name(rig.sound.input_device) == "Laptop"  # the speaker has no microphone
    speaker, microphone = sorted(rig.switches(), key=lambda e: e.role, reverse=True)
    assert (speaker.role, speaker.reason, speaker.current) == ("speaker", "unplugged",
                                                               "USB Speaker")
    assert (microphone.role, microphone.current) == ("microphone", "Laptop")
    devices = [e for e in rig.events if isinstance(e, P.DevicesChanged)][-1]
    assert devices.fallback and devices.speaker == "USB Speaker"
    rig.gone.clear()
    rig.router.system_changed(alsa_changed=False)
    assert rig.name(rig.sound.output_device) == "Jabra"
    assert [e.reason for e in rig.switches()][-2:] == ["returned", "returned"]


def test_without_return_to_headset_a_call_keeps_its_fallback(rig: Rig) -> None:
    rig.router.set_policy(P.SetAudioPolicy(fallback_devices=["USB Speaker", "Laptop"],
                                           return_to_headset=False))
    rig.gone.add("Jabra")
    rig.router.system_changed(alsa_changed=False)
    rig.gone.clear()
    rig.router.system_changed(alsa_changed=False)
    assert rig.name(rig.sound.output_device) == "USB Speaker"
    rig.router.set_sound_needed(False)  # the call ended: the next one uses the headset
    rig.router.apply()
    assert rig.router.choices["speaker"].name == "Jabra"


def test_a_stalled_stream_counts_as_gone_when_it_cannot_be_reopened(rig: Rig) -> None:
    jabra = rig.sound.output_device
    assert jabra is not None
    rig.sound.broken.add(jabra)
    rig.router.check_health(now=100.0)  # a stall alone: reopened where it was
    assert rig.name(rig.sound.output_device) == "Jabra"
    rig.router.check_health(now=101.0)  # twice in a row: left out
    assert rig.name(rig.sound.output_device) == "USB Speaker"
    assert rig.switches()[-1].reason == "unplugged"


def test_devices_removed_from_the_list_and_ring_targets(rig: Rig) -> None:
    rig.router.set_ringing(True, "normal")
    assert sorted(rig.name(i) for i in rig.ringer.playing_on) == ["Jabra", "Laptop"]
    rig.found = listing("Laptop", "default")  # a USB headset unplugged: ALSA changed
    rig.router.system_changed(alsa_changed=True)
    assert rig.name(rig.sound.output_device) == "Laptop"
    assert sorted(rig.name(i) for i in rig.ringer.playing_on) == ["Laptop"]


def test_watcher_reports_changes_and_which_kind() -> None:
    signatures: list[Signature] = [
        ((), "", ("sink:a",)), ((), "", ("sink:a",)), ((), "", ("sink:b",)),
        (("pcmC1D0p",), "1 [Jabra]", ("sink:b",)),
    ]
    seen: list[bool] = []
    done = threading.Event()

    def next_signature() -> Signature:
        if len(signatures) == 1:
            done.set()
            return signatures[0]
        return signatures.pop(0)

    watcher = DeviceWatcher(seen.append, interval=0.01, signature=next_signature)
    watcher.start()
    try:
        assert done.wait(5)
        # The last signature was taken; its change is reported just after.
        wait_until(lambda: len(seen) >= 2, timeout=5, message=lambda: f"reported: {seen}")
    finally:
        watcher.stop()
    assert seen[:2] == [False, True]

"""HeadsetService end to end through its real threads, with a replaying fake headset.

The phone is :class:`tests.headset.fakes.RecordingPhone`, a small stand-in for
``softphone.phone.Phone`` (the real one needs a running engine to change state): it
publishes the events the engine would and records the actions the headset asks for.
Time for the decisions (echo window, blinking) is a fake clock the tests move; waits
poll with a bound, never sleep a fixed time.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone.headset import transport as transport_module
from softphone.headset.service import (
    UDEV_RULE,
    HeadsetService,
    call_view,
    choose_headset,
)
from softphone.headset.telephony import CallView
from softphone.headset.transport import DeviceInfo
from softphone.phone import Call, PhoneState
from softphone.protocol import RemoteParty
from softphone.settings import Settings
from tests.headset import descriptors as d
from tests.headset.fakes import (
    FakeBackend,
    FakeClock,
    FakeTransport,
    RecordingPhone,
    wait_until,
)

PATH = "/dev/hidraw3"
NAME = "Jabra Evolve2 65"


class Rig:
    """A service with a fake headset backend, phone and clock."""

    def __init__(self, tmp_path: Path) -> None:
        self.settings = Settings(tmp_path / "settings.toml")
        self.phone = RecordingPhone()
        self.backend = FakeBackend()
        self.clock = FakeClock()
        self.service = HeadsetService(self.phone, self.settings, backend=self.backend,
                                      clock=self.clock, rescan_seconds=0.02)
        self.layout = d.ONE_LIGHT_REPORT

    def plug_in(self, layout: d.Layout, *, start: bool = True) -> FakeTransport:
        self.layout = layout
        opened = len(self.backend.opened)
        self.backend.plug(PATH, NAME, layout.descriptor)
        if start:
            self.service.start()
        wait_until(lambda: len(self.backend.opened) > opened, "the headset to open")
        wait_until(lambda: self.service.status()["buttons"], "buttons to work")
        return self.backend.last()

    def send(self, transport: FakeTransport, **buttons: bool) -> None:
        """One input report, waited for until the reader has handled it."""
        sent = transport.send(self.layout.report(**buttons))
        wait_until(lambda: transport.processed() >= sent, "the report to be handled")

    def press_hook(self, transport: FakeTransport, off_hook: bool) -> None:
        """What the agent's hook press sends: a level, or a press and release."""
        if self.layout.hook_is_toggle:
            self.send(transport, hook=True)
            self.send(transport, hook=False)
        else:
            self.send(transport, hook=off_hook)

    def wait_lights(self, transport: FakeTransport, what: str, **expected: bool) -> None:
        def shown() -> bool:
            lights = d.shown(self.layout, transport.written)
            return all(lights[name] == value for name, value in expected.items())
        wait_until(shown, what)

    def wait_action(self, action: tuple[str, object]) -> None:
        wait_until(lambda: action in self.phone.actions, f"phone.{action[0]}{action[1:]}")


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    rig = Rig(tmp_path)
    yield rig
    rig.service.stop()


# ------------------------------------------------------------------ answer and hang up


@pytest.mark.parametrize("layout", d.LAYOUTS, ids=lambda layout: layout.name)
def test_hook_off_while_ringing_answers_and_hook_on_hangs_up(
        rig: Rig, layout: d.Layout) -> None:
    headset = rig.plug_in(layout)
    rig.phone.ring("c1")
    rig.wait_lights(headset, "the ring light", ring=True, off_hook=False)

    rig.press_hook(headset, off_hook=True)
    rig.wait_action(("answer", "c1"))
    rig.phone.confirm("c1")
    rig.wait_lights(headset, "off hook", off_hook=True, ring=False)

    rig.clock.advance(1.0)  # past the echo window
    rig.press_hook(headset, off_hook=False)
    rig.wait_action(("hangup", None))
    assert [name for name, _ in rig.phone.actions] == ["answer", "hangup"]


@pytest.mark.parametrize("layout", [d.ONE_LIGHT_REPORT, d.TOGGLE_HOOK],
                         ids=["absolute hook", "toggle hook"])
def test_hook_echoed_right_after_the_off_hook_light_is_ignored(
        rig: Rig, layout: d.Layout) -> None:
    headset = rig.plug_in(layout)
    rig.phone.ring("c1")
    rig.phone.confirm("c1")  # answered on screen
    rig.wait_lights(headset, "off hook", off_hook=True)

    rig.clock.advance(0.2)
    if layout.hook_is_toggle:  # the headset repeats a press
        rig.press_hook(headset, off_hook=False)
    else:  # the headset reports its old level before taking the light's
        rig.send(headset, hook=False)
        rig.send(headset, hook=True)
    assert rig.phone.actions == []

    rig.clock.advance(0.4)  # 600 ms after the light: the agent's press counts
    rig.press_hook(headset, off_hook=False)
    rig.wait_action(("hangup", None))


# ------------------------------------------------------------------ hold, mute, ring


def test_hold_sets_the_hold_light_and_keeps_off_hook(rig: Rig) -> None:
    headset = rig.plug_in(d.LIGHT_PER_REPORT)
    rig.phone.confirm("c1", "outgoing")
    rig.wait_lights(headset, "off hook", off_hook=True, hold=False)

    rig.phone.set_hold("c1", True)
    rig.wait_lights(headset, "hold", off_hook=True, hold=True)
    rig.phone.set_hold("c1", False)
    rig.wait_lights(headset, "hold cleared", off_hook=True, hold=False)

    off_hook_reports = [r for r in headset.written if r[0] == 3]
    assert off_hook_reports[-1] == b"\x03\x01"
    assert b"\x03\x00" not in off_hook_reports[1:]  # never cleared during the call


@pytest.mark.parametrize("layout", [d.ONE_LIGHT_REPORT, d.TOGGLE_HOOK],
                         ids=["bit", "array key"])
def test_redial_button_calls_the_last_number_again_between_calls(rig: Rig,
                                                                 layout: d.Layout) -> None:
    headset = rig.plug_in(layout)
    rig.send(headset, redial=True)
    rig.send(headset, redial=False)
    assert rig.phone.actions == [("redial", None)]
    rig.phone.confirm("c1", "outgoing")
    rig.wait_lights(headset, "off hook", off_hook=True)
    rig.send(headset, redial=True)  # during a call: nothing
    rig.send(headset, redial=False)
    assert rig.phone.actions == [("redial", None)]


def test_mute_button_while_on_hook_does_nothing(rig: Rig) -> None:
    headset = rig.plug_in(d.ONE_LIGHT_REPORT)
    rig.phone.ring("c1")
    rig.wait_lights(headset, "ring", ring=True)
    before = len(headset.written)

    rig.send(headset, mute=True)
    rig.send(headset, mute=False)

    assert rig.phone.actions == []
    wait_until(lambda: len(headset.written) > before, "the lights to be sent again")
    assert not d.shown(rig.layout, headset.written)["mute"]


def test_mute_light_follows_the_apps_mute_state(rig: Rig) -> None:
    headset = rig.plug_in(d.TOGGLE_HOOK)  # Phone Mute is a key of an array here
    rig.phone.confirm("c1")
    rig.wait_lights(headset, "off hook", off_hook=True, mute=False)

    rig.send(headset, mute=True)
    rig.send(headset, mute=False)
    rig.wait_action(("set_muted", True))
    rig.wait_lights(headset, "mute shown at once", mute=True)
    rig.phone.mute_changed(True)

    rig.phone.mute_changed(False)  # unmuted on screen
    rig.wait_lights(headset, "mute cleared", mute=False)
    rig.send(headset, mute=True)
    wait_until(lambda: rig.phone.actions.count(("set_muted", True)) == 2, "mute again")


def test_ring_light_blinks_while_ringing_and_stops(rig: Rig) -> None:
    headset = rig.plug_in(d.LIGHT_PER_REPORT)
    rig.phone.ring("c1")
    for turn in range(5):  # on, off, on, off, on
        if turn:
            rig.clock.advance(0.5)
        rig.wait_lights(headset, f"blink {turn}", ring=turn % 2 == 0)
    rig.phone.end("c1")
    rig.wait_lights(headset, "ring stopped", ring=False)
    writes = len(headset.written)
    for _ in range(2):
        rig.clock.advance(0.5)
        rig.send(headset)  # one more pass of the reader
    assert len(headset.written) == writes


# ------------------------------------------------------------------ devices


def test_unplugged_headset_is_looked_for_again(rig: Rig) -> None:
    headset = rig.plug_in(d.ONE_LIGHT_REPORT)
    rig.phone.confirm("c1")
    rig.wait_lights(headset, "off hook", off_hook=True)

    rig.backend.unplug(PATH)
    wait_until(headset.closed.is_set, "the old device to be closed")
    wait_until(lambda: not rig.service.status()["buttons"], "buttons to stop")
    for _ in range(3):  # and it keeps saying so while the watcher looks
        assert "looking for it again" in rig.service.status()["reason"]
        wait_until(lambda scans=rig.backend.scans: rig.backend.scans > scans, "a scan")

    again = rig.plug_in(d.ONE_LIGHT_REPORT, start=False)
    rig.wait_lights(again, "off hook shown on the new device", off_hook=True)
    rig.clock.advance(1.0)
    rig.send(again, hook=False)
    rig.wait_action(("hangup", None))


def test_permission_denied_is_said_once(rig: Rig, caplog: pytest.LogCaptureFixture) -> None:
    messages: list[str] = []
    rig.service.add_problem_listener(messages.append)
    rig.backend.denied.add(PATH)
    rig.backend.plug(PATH, NAME, d.ONE_LIGHT_REPORT.descriptor)
    with caplog.at_level(logging.WARNING, logger="softphone.headset"):
        rig.service.start()
        wait_until(lambda: rig.backend.open_attempts >= 5, "several tries to open")

    status = rig.service.status()
    assert (status["buttons"], status["reason"]) == (False, "no permission to open the headset")
    assert len(messages) == 1 and messages[0] == status["problem"]
    assert UDEV_RULE in messages[0] and "udevadm control --reload" in messages[0]
    assert NAME in messages[0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1


def test_buttons_setting_turns_it_all_off_and_on(rig: Rig) -> None:
    rig.settings.set("headset.buttons", False)
    rig.backend.plug(PATH, NAME, d.ONE_LIGHT_REPORT.descriptor)
    rig.service.start()
    wait_until(lambda: "turned off" in (rig.service.status()["reason"] or ""), "turned off")
    assert rig.backend.open_attempts == 0

    rig.settings.set("headset.buttons", True)
    wait_until(lambda: rig.service.status()["buttons"], "buttons on")
    headset = rig.backend.last()
    rig.settings.set("headset.buttons", False)
    wait_until(headset.closed.is_set, "the headset released")


def test_headset_matching_the_audio_device_or_the_setting_is_used(rig: Rig) -> None:
    rig.backend.plug("/dev/hidraw1", "Poly Blackwire 3320", d.ONE_LIGHT_REPORT.descriptor)
    rig.backend.plug("/dev/hidraw2", NAME, d.ONE_LIGHT_REPORT.descriptor)
    rig.settings.set("audio.speaker", "Jabra Evolve2 65: USB Audio (hw:2,0)")
    rig.service.start()
    wait_until(lambda: rig.service.status()["name"] == NAME, "the Jabra chosen")

    rig.settings.set("headset.device", "blackwire")
    wait_until(lambda: rig.service.status()["path"] == "/dev/hidraw1", "the Poly chosen")
    wait_until(lambda: rig.service.status()["buttons"], "its buttons working")
    assert rig.backend.opened[0].closed.is_set()


def test_choice_rules() -> None:
    poly = DeviceInfo("/dev/hidraw1", 0x047F, 1, "Poly Blackwire 3320")
    jabra = DeviceInfo("/dev/hidraw2", 0x0B0E, 2, NAME)
    both = [poly, jabra]
    assert choose_headset(both, "", "") is poly
    assert choose_headset(both, "", "jabra evolve2 65 mono") is jabra
    assert choose_headset(both, "BLACKWIRE", "Jabra Evolve2 65") is poly
    assert choose_headset(both, "missing", "Jabra Evolve2 65") is jabra
    assert choose_headset([], "", "") is None


def test_a_headset_without_call_buttons_is_passed_over(rig: Rig) -> None:
    keys_only = (d.usage_page(d.TELEPHONY) + d.usage(d.PHONE_MUTE) + d.one_bit_range()
                 + d.bits(1) + d.input_(d.DATA_VAR_REL))
    rig.backend.plug("/dev/hidraw1", "Speakerphone", keys_only)
    rig.service.start()
    wait_until(lambda: "hook switch" in (rig.service.status()["reason"] or ""), "the reason")
    scans = rig.backend.scans
    wait_until(lambda: rig.backend.scans > scans + 3, "more scans")
    assert rig.backend.open_attempts == 1  # not opened again while it stays plugged

    rig.backend.plug(PATH, NAME, d.ONE_LIGHT_REPORT.descriptor)
    wait_until(lambda: rig.service.status()["name"] == NAME, "the other headset used")
    assert rig.backend.opened[0].closed.is_set()


def test_without_hidapi_there_are_no_buttons_and_a_reason(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_module(name: str) -> object:
        raise ImportError(f"No module named {name!r}")

    monkeypatch.setattr(transport_module.importlib, "import_module", no_module)
    service = HeadsetService(RecordingPhone(), Settings(tmp_path / "s.toml"))
    service.start()
    try:
        wait_until(lambda: "hidapi" in (service.status()["reason"] or ""), "the reason")
        assert service.status()["buttons"] is False
    finally:
        service.stop()


def test_stop_turns_the_lights_off_and_releases_the_headset(rig: Rig) -> None:
    headset = rig.plug_in(d.LIGHT_PER_REPORT)
    rig.phone.confirm("c1")
    rig.phone.set_hold("c1", True)
    rig.wait_lights(headset, "held call", off_hook=True, hold=True)

    rig.service.stop()

    assert headset.closed.is_set()
    assert not any(d.shown(rig.layout, headset.written).values())


# ------------------------------------------------------------------ the phone's state


def test_call_view_from_the_phones_state() -> None:
    def call(call_id: str, state: str, held: bool = False) -> Call:
        result = Call(call_id, "incoming", state, RemoteParty())  # type: ignore[arg-type]
        result.local_hold = held
        return result

    state = PhoneState(calls={"a": call("a", "confirmed", held=True),
                              "b": call("b", "incoming")}, muted=True)
    assert call_view(state) == CallView(ringing_call="b", in_call=True, on_hold=True,
                                        muted=True)
    talking = PhoneState(calls={"a": call("a", "confirmed", held=True),
                                "c": call("c", "connecting")})
    assert call_view(talking) == CallView(in_call=True)
    assert call_view(PhoneState()) == CallView()

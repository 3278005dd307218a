"""Buttons and lights of each layout, and the decisions of CallControl (time injected)."""

from __future__ import annotations

import pytest

from softphone.headset.descriptor import DescriptorError
from softphone.headset.telephony import (
    Answer,
    Button,
    CallControl,
    CallView,
    Hangup,
    Hold,
    Light,
    LightState,
    NoCallButtons,
    Redial,
    Resume,
    SetMuted,
    TelephonyMap,
)
from tests.headset import descriptors as d

IDLE = CallView()
RINGING = CallView(ringing_call="c1")
TALKING = CallView(in_call=True)
HELD = CallView(in_call=True, on_hold=True)
HOOK_ON = {Button.HOOK: False}
HOOK_OFF = {Button.HOOK: True}
T0 = 100.0


# ------------------------------------------------------------------ layouts


@pytest.mark.parametrize("layout", d.LAYOUTS, ids=lambda layout: layout.name)
def test_each_layout_reads_its_buttons(layout: d.Layout) -> None:
    telephony = TelephonyMap.from_descriptor(layout.descriptor)

    assert telephony.hook_is_toggle is layout.hook_is_toggle
    assert set(telephony.lights) == set(Light)
    assert telephony.button_levels(layout.report(hook=True))[Button.HOOK] is True
    levels = telephony.button_levels(layout.report(mute=True))
    assert (levels[Button.HOOK], levels[Button.MUTE]) == (False, True)


@pytest.mark.parametrize("layout", d.LAYOUTS, ids=lambda layout: layout.name)
def test_each_layout_writes_each_light_where_the_descriptor_says(layout: d.Layout) -> None:
    telephony = TelephonyMap.from_descriptor(layout.descriptor)
    for name in layout.light_bits:
        lights = LightState(**{name: True})
        written = list(telephony.output_reports(lights).values())
        shown = d.shown(layout, written)
        assert shown == {n: n == name for n in layout.light_bits}, name


def test_one_output_report_carries_all_lights() -> None:
    telephony = TelephonyMap.from_descriptor(d.ONE_LIGHT_REPORT.descriptor)
    reports = telephony.output_reports(LightState(off_hook=True, hold=True))
    assert reports == {0: bytes([0, 0b1001])}  # report ID 0: none on the wire


def test_one_output_report_per_light() -> None:
    telephony = TelephonyMap.from_descriptor(d.LIGHT_PER_REPORT.descriptor)
    reports = telephony.output_reports(LightState(ring=True))
    assert reports == {3: b"\x03\x00", 4: b"\x04\x01", 5: b"\x05\x00", 6: b"\x06\x00"}


def test_reports_of_other_collections_carry_no_buttons() -> None:
    telephony = TelephonyMap.from_descriptor(d.LIGHT_PER_REPORT.descriptor)
    assert telephony.button_levels(bytes([1, 0b11])) == {}  # volume keys
    assert telephony.button_levels(b"") == {}


def test_array_keys_report_redial_and_mute() -> None:
    telephony = TelephonyMap.from_descriptor(d.TOGGLE_HOOK.descriptor)
    redial = telephony.button_levels(d.TOGGLE_HOOK.report(redial=True))
    assert (redial[Button.REDIAL], redial[Button.MUTE]) == (True, False)


def test_a_device_without_hook_switch_is_not_a_headset() -> None:
    keys_only = (d.usage_page(d.TELEPHONY) + d.usage(d.PHONE_MUTE) + d.one_bit_range()
                 + d.bits(1) + d.input_(d.DATA_VAR_REL))
    with pytest.raises(NoCallButtons):
        TelephonyMap.from_descriptor(keys_only)
    with pytest.raises(DescriptorError):
        TelephonyMap.from_descriptor(b"\x05")


# ------------------------------------------------------------------ hook switch


def control(view: CallView = IDLE, *, toggle: bool = False) -> CallControl:
    result = CallControl(hook_is_toggle=toggle)
    result.set_view(view, T0)
    result.lights_written(result.lights(T0), T0)
    return result


def test_absolute_hook_off_while_ringing_answers_and_on_hangs_up() -> None:
    phone = control(RINGING)
    assert phone.handle(HOOK_OFF, T0 + 1) == [Answer("c1")]
    assert phone.handle(HOOK_OFF, T0 + 1.1) == []  # the same level again
    phone.set_view(TALKING, T0 + 2)
    assert phone.handle(HOOK_ON, T0 + 3) == [Hangup()]


def test_absolute_hook_level_matching_the_call_does_nothing() -> None:
    phone = control(TALKING)
    assert phone.handle(HOOK_OFF, T0 + 1) == []
    idle = control()
    assert idle.handle(HOOK_OFF, T0 + 1) == []  # nothing rings
    assert idle.handle(HOOK_ON, T0 + 2) == []


def test_toggle_hook_acts_on_each_press_not_on_release() -> None:
    phone = control(RINGING, toggle=True)
    assert phone.handle(HOOK_OFF, T0 + 1) == [Answer("c1")]
    assert phone.handle(HOOK_ON, T0 + 1.1) == []  # release
    phone.set_view(TALKING, T0 + 2)
    phone.lights_written(phone.lights(T0 + 2), T0 + 2)
    assert phone.handle(HOOK_OFF, T0 + 3) == [Hangup()]


def test_a_second_press_before_the_call_connects_answers_once() -> None:
    phone = control(RINGING, toggle=True)
    assert phone.handle(HOOK_OFF, T0 + 1) == [Answer("c1")]
    phone.handle(HOOK_ON, T0 + 1.1)
    assert phone.handle(HOOK_OFF, T0 + 1.2) == []


@pytest.mark.parametrize("toggle", [False, True], ids=["absolute", "toggle"])
def test_one_hook_echo_right_after_the_off_hook_light_is_ignored(toggle: bool) -> None:
    phone = control(RINGING, toggle=toggle)
    phone.set_view(TALKING, T0 + 1)  # answered on screen
    phone.lights_written(phone.lights(T0 + 1), T0 + 1)
    # The headset repeats a hook report: for an absolute hook a stale "on hook".
    echo = HOOK_OFF if toggle else HOOK_ON
    assert phone.handle(echo, T0 + 1.2) == []
    if toggle:
        phone.handle(HOOK_ON, T0 + 1.3)
    else:
        phone.handle(HOOK_OFF, T0 + 1.3)  # back in step with the light
    # The agent's own press later hangs up.
    assert phone.handle(HOOK_OFF if toggle else HOOK_ON, T0 + 1.8) == [Hangup()]


def test_only_one_echo_is_ignored_within_the_window() -> None:
    phone = control(RINGING, toggle=True)
    phone.set_view(TALKING, T0 + 1)
    phone.lights_written(phone.lights(T0 + 1), T0 + 1)
    assert phone.handle(HOOK_OFF, T0 + 1.1) == []
    phone.handle(HOOK_ON, T0 + 1.2)
    assert phone.handle(HOOK_OFF, T0 + 1.3) == [Hangup()]


# ------------------------------------------------------------------ mute, flash


def test_mute_while_on_hook_does_nothing_but_lights_are_sent_again() -> None:
    phone = control(RINGING)
    phone.take_resync()
    assert phone.handle({Button.MUTE: True}, T0 + 1) == []
    assert phone.take_resync()
    assert not phone.lights(T0 + 1).mute


def test_mute_toggles_the_apps_state_and_the_light_follows_at_once() -> None:
    phone = control(TALKING)
    assert phone.handle({Button.MUTE: True}, T0 + 1) == [SetMuted(True)]
    assert phone.lights(T0 + 1).mute
    assert phone.handle({Button.MUTE: False}, T0 + 1.1) == []  # release
    assert phone.handle({Button.MUTE: True}, T0 + 2) == [SetMuted(False)]
    # The engine confirms mute, then the agent unmutes on screen: the light follows.
    phone.set_view(CallView(in_call=True, muted=True), T0 + 3)
    assert phone.lights(T0 + 3).mute
    phone.set_view(TALKING, T0 + 4)
    assert not phone.lights(T0 + 4).mute


def test_flash_holds_resumes_and_answers_a_call_waiting() -> None:
    phone = control(TALKING)
    assert phone.handle({Button.FLASH: True}, T0 + 1) == [Hold()]
    phone.handle({Button.FLASH: False}, T0 + 1.1)
    phone.set_view(HELD, T0 + 2)
    assert phone.handle({Button.FLASH: True}, T0 + 3) == [Resume()]
    phone.handle({Button.FLASH: False}, T0 + 3.1)
    phone.set_view(CallView(ringing_call="c2", in_call=True), T0 + 4)
    assert phone.handle({Button.FLASH: True}, T0 + 5) == [Answer("c2")]


def test_redial_calls_again_only_while_no_call_is_in_progress_or_ringing() -> None:
    phone = control(CallView())
    assert phone.handle({Button.REDIAL: True}, T0 + 1) == [Redial()]
    assert phone.handle({Button.REDIAL: True}, T0 + 1.1) == []  # held down: one press
    phone.handle({Button.REDIAL: False}, T0 + 1.2)
    for busy in (TALKING, HELD, CallView(ringing_call="c2")):
        phone.set_view(busy, T0 + 2)
        assert phone.handle({Button.REDIAL: True}, T0 + 3) == [], busy
        phone.handle({Button.REDIAL: False}, T0 + 3.1)


# ------------------------------------------------------------------ lights


def test_hold_shows_hold_and_keeps_off_hook() -> None:
    phone = control(HELD)
    assert phone.lights(T0) == LightState(off_hook=True, hold=True)


def test_ring_light_blinks_while_ringing_and_stops() -> None:
    phone = control()
    phone.set_view(RINGING, T0 + 10)
    blink = [phone.lights(T0 + 10 + step * 0.25).ring for step in range(6)]
    assert blink == [True, True, False, False, True, True]
    phone.set_view(TALKING, T0 + 12)
    assert phone.lights(T0 + 12) == LightState(off_hook=True)

"""Headset call control: which buttons and lights a headset has, and what they do.

:class:`TelephonyMap` finds the telephony buttons (page 0x0B) and lights (LED page 0x08)
in a report descriptor and turns input reports into button levels and light states
into output reports. :class:`CallControl` decides, from the call as the app sees it and
the buttons, which phone action to take and what each light shows:

- Hook Switch answers a ringing call and hangs up. An Absolute hook reports a level (1 =
  off hook): a change to a level that differs from the call's state acts. A Relative
  hook (a toggle button) acts on each press, 0 to 1.
- Phone Mute is a press that toggles the app's mute, only while off hook. The app owns
  the state and shows it on the Mute light after each press, pressed in vain or not,
  because some headsets change their own light and revert unless the host confirms.
- Flash answers a call waiting (holding the current one), else holds or resumes.
- Redial calls the last number dialled again, only while no call is in progress or
  ringing (a press during a call does nothing, as on desk phones).
- Off-Hook shows a call in progress, held or not (clearing it on hold makes some
  headsets hang up); Hold shows that no call is being talked on; Ring blinks while a
  call rings; Mute shows the app's mute while off hook.
- Some headsets echo a hook report right after the host changes the Off-Hook light:
  within :data:`ECHO_WINDOW` seconds of that change one hook report that would act is
  ignored.

Pure logic: the caller passes the time (monotonic seconds) and does all I/O; not
thread-safe, one owner at a time (the headset's reader thread).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import Enum

from softphone.headset.descriptor import (
    Field,
    Location,
    ReportMap,
    ReportType,
    parse,
    read_bits,
    write_bits,
)

TELEPHONY_PAGE = 0x0B
LED_PAGE = 0x08
ECHO_WINDOW = 0.5  # seconds after an Off-Hook light change in which one hook echo is ignored
BLINK_PERIOD = 0.5  # seconds the Ring light stays on, then off, while ringing


class Button(Enum):
    HOOK = (TELEPHONY_PAGE, 0x20)
    FLASH = (TELEPHONY_PAGE, 0x21)
    REDIAL = (TELEPHONY_PAGE, 0x24)
    MUTE = (TELEPHONY_PAGE, 0x2F)


class Light(Enum):
    MUTE = (LED_PAGE, 0x09)
    OFF_HOOK = (LED_PAGE, 0x17)
    RING = (LED_PAGE, 0x18)
    HOLD = (LED_PAGE, 0x20)


class NoCallButtons(ValueError):
    """The device's descriptor has no hook switch input: it cannot control calls."""


# ------------------------------------------------------------------ the device's layout


@dataclass(frozen=True)
class TelephonyMap:
    """Where a headset's call buttons and lights sit in its reports."""

    reports: ReportMap
    buttons: dict[Button, Location]
    button_arrays: dict[Button, list[Field]]
    lights: dict[Light, Location]

    @classmethod
    def from_descriptor(cls, descriptor: bytes) -> TelephonyMap:
        """Raises DescriptorError when malformed, NoCallButtons without a hook switch."""
        reports = parse(descriptor)
        buttons = {b: loc for b in Button
                   if (loc := reports.locate(ReportType.INPUT, b.value)) is not None}
        arrays = {b: fields for b in Button
                  if b not in buttons
                  and (fields := reports.array_fields(ReportType.INPUT, b.value))}
        if Button.HOOK not in buttons and Button.HOOK not in arrays:
            raise NoCallButtons("no hook switch in the report descriptor")
        lights = {light: loc for light in Light
                  if (loc := reports.locate(ReportType.OUTPUT, light.value)) is not None}
        return cls(reports, buttons, arrays, lights)

    @property
    def hook_is_toggle(self) -> bool:
        """A Relative hook (or one in an array, which reports presses) is a toggle."""
        location = self.buttons.get(Button.HOOK)
        return location is None or location.relative

    @property
    def input_length(self) -> int:
        """Bytes to ask for when reading, report ID included."""
        return self.reports.max_report_length(ReportType.INPUT)

    def button_levels(self, report: bytes) -> dict[Button, bool]:
        """Each button carried by ``report`` (report ID first when the device numbers its
        reports) with its level; buttons of other reports are left out."""
        report_id, payload = self._split(report)
        levels: dict[Button, bool] = {}
        for button, location in self.buttons.items():
            if location.report_id == report_id:
                levels[button] = read_bits(payload, location.bit_offset, location.size) != 0
        for button, fields in self.button_arrays.items():
            for array in fields:
                if array.report_id == report_id:
                    levels[button] = levels.get(button, False) or _array_holds(
                        array, payload, button)
        return levels

    def output_reports(self, lights: LightState) -> dict[int, bytes]:
        """The output reports that carry lights, by report ID, each starting with its
        report ID byte (0 when the device does not number its reports)."""
        payloads: dict[int, bytearray] = {}
        for light, location in self.lights.items():
            payload = payloads.setdefault(location.report_id, bytearray(
                self.reports.report_length(ReportType.OUTPUT, location.report_id)))
            write_bits(payload, location.bit_offset, location.size, int(lights.shows(light)))
        return {rid: bytes([rid]) + bytes(payload) for rid, payload in payloads.items()}

    def _split(self, report: bytes) -> tuple[int, bytes]:
        if self.reports.uses_report_ids:
            return (report[0], report[1:]) if report else (0, b"")
        return 0, report


def _array_holds(array: Field, payload: bytes, button: Button) -> bool:
    """Whether any value of an array field is the index of ``button``'s usage."""
    for index in range(array.count):
        value = read_bits(payload, array.bit_offset + index * array.size, array.size)
        slot = value - array.logical_minimum
        if array.logical_minimum <= value <= array.logical_maximum and 0 <= slot < len(
                array.usages) and array.usages[slot] == button.value:
            return True
    return False


# ------------------------------------------------------------------ the call and the lights


@dataclass(frozen=True)
class CallView:
    """The calls as the headset needs them."""

    ringing_call: str | None = None  # an incoming call waiting to be answered
    in_call: bool = False  # a call in progress (dialling, talking or held)
    on_hold: bool = False  # calls in progress, none being talked on
    muted: bool = False


@dataclass(frozen=True)
class LightState:
    off_hook: bool = False
    ring: bool = False
    mute: bool = False
    hold: bool = False

    def shows(self, light: Light) -> bool:
        return {Light.OFF_HOOK: self.off_hook, Light.RING: self.ring,
                Light.MUTE: self.mute, Light.HOLD: self.hold}[light]


@dataclass(frozen=True)
class Answer:
    call_id: str


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class SetMuted:
    muted: bool


@dataclass(frozen=True)
class Hold:
    pass


@dataclass(frozen=True)
class Resume:
    pass


@dataclass(frozen=True)
class Redial:
    pass


Action = Answer | Hangup | SetMuted | Hold | Resume | Redial


@dataclass
class CallControl:
    """The decisions for one open headset. See the module docstring."""

    hook_is_toggle: bool
    echo_window: float = ECHO_WINDOW
    blink_period: float = BLINK_PERIOD
    view: CallView = field(default_factory=CallView)
    _muted: bool = False
    _levels: dict[Button, bool] = field(default_factory=dict)
    _answered: set[str] = field(default_factory=set)
    _ring_started: float = 0.0
    _off_hook_shown: bool | None = None
    _off_hook_changed_at: float = -math.inf
    _echo_ignored: bool = False
    _resync: bool = True

    # -------------------------------------------------------------- the call

    def set_view(self, view: CallView, now: float) -> None:
        """The calls changed. Views must come in order: a change of the app's mute
        replaces a mute toggled here meanwhile; an unchanged one leaves it (the engine
        has not answered yet)."""
        if view.ringing_call and view.ringing_call != self.view.ringing_call:
            self._ring_started = now
        if view.muted != self.view.muted or not view.in_call:
            self._muted = view.muted
        if view.ringing_call is None:
            self._answered.clear()
        self.view = view

    # -------------------------------------------------------------- buttons

    def handle(self, levels: dict[Button, bool], now: float) -> list[Action]:
        """The actions that one input report's button levels ask for."""
        pressed = {b for b, level in levels.items() if level and not self._level(b)}
        hook_changed = Button.HOOK in levels and levels[Button.HOOK] != self._level(Button.HOOK)
        self._levels.update(levels)
        actions: list[Action] = []
        if self.hook_is_toggle and Button.HOOK in pressed:
            actions += self._hook(not self.view.in_call, now)
        elif not self.hook_is_toggle and hook_changed:
            actions += self._hook(levels[Button.HOOK], now)
        if Button.MUTE in pressed:
            actions += self._mute()
        if Button.FLASH in pressed:
            actions += self._flash()
        if Button.REDIAL in pressed and not self.view.in_call and not self.view.ringing_call:
            actions.append(Redial())
        return actions

    def _level(self, button: Button) -> bool:
        """The last level seen; before any report, an absolute hook is assumed to agree
        with the call (the Off-Hook light keeps such headsets in step)."""
        if button is Button.HOOK and not self.hook_is_toggle:
            return self._levels.get(button, self.view.in_call)
        return self._levels.get(button, False)

    def _hook(self, off_hook: bool, now: float) -> list[Action]:
        action = self._hook_action(off_hook)
        if action is None:
            return []
        if now - self._off_hook_changed_at < self.echo_window and not self._echo_ignored:
            self._echo_ignored = True  # the headset repeating the light we just set
            return []
        if isinstance(action, Answer):
            self._answered.add(action.call_id)
        return [action]

    def _hook_action(self, off_hook: bool) -> Action | None:
        view = self.view
        if not off_hook and view.in_call:
            return Hangup()
        if (off_hook and not view.in_call and view.ringing_call
                and view.ringing_call not in self._answered):
            return Answer(view.ringing_call)
        return None

    def _mute(self) -> list[Action]:
        self._resync = True  # the headset may have changed its own light: show ours
        if not self.view.in_call:
            return []
        self._muted = not self._muted
        return [SetMuted(self._muted)]

    def _flash(self) -> list[Action]:
        view = self.view
        if view.in_call and view.ringing_call and view.ringing_call not in self._answered:
            self._answered.add(view.ringing_call)
            return [Answer(view.ringing_call)]
        if view.in_call:
            return [Resume() if view.on_hold else Hold()]
        return []

    # -------------------------------------------------------------- lights

    def lights(self, now: float) -> LightState:
        """What the lights should show at ``now``."""
        view = self.view
        ringing = view.ringing_call is not None
        phase = math.floor((now - self._ring_started) / self.blink_period)
        return LightState(
            off_hook=view.in_call,
            ring=ringing and phase % 2 == 0,
            mute=view.in_call and self._muted,
            hold=view.in_call and view.on_hold,
        )

    def take_resync(self) -> bool:
        """Whether every light report must be written again, even unchanged."""
        resync, self._resync = self._resync, False
        return resync

    def lights_written(self, lights: LightState, now: float) -> None:
        """The lights were sent to a headset that has an Off-Hook light."""
        if lights.off_hook != self._off_hook_shown:
            if self._off_hook_shown is not None:
                self._off_hook_changed_at = now
                self._echo_ignored = False
            self._off_hook_shown = lights.off_hook

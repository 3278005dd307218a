"""Which device each sound goes to, and moving it when devices come and go.

``AudioRouter`` chooses the microphone, the headset (speaker) and the ringer from the
agent's choice, the fallback list (``SetAudioPolicy``) and the system default, opens the
sound card and ringer streams on them, and moves a stream when its device goes away or,
with ``return_to_headset``, when the chosen device comes back. Each automatic move is
reported as an ``AudioDeviceSwitched`` event in plain words, followed by the new
``DevicesChanged``.

What counts as "gone": a name no longer in PortAudio's list, a device that fails to open
(a probe opens and closes a stream), or a stream that stops delivering
(``StreamHealth``). What starts a new look: the device watcher's signature changed
(``system_changed``), a stream's health check failed (``check_health``), a command.

Everything here runs on the main (pjsua) thread and never calls pjsua2: the call's
bridge port stays connected while the streams behind its buffers change.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from softphone.engine import devices
from softphone.engine.audio import SoundCard
from softphone.engine.devices import ROLE_WORDS, DeviceInfo, DeviceList, Kind, same_device
from softphone.engine.report import EventSink
from softphone.engine.ringer import Ringer
from softphone.protocol import (
    AudioDeviceSwitched,
    DeviceRole,
    DevicesChanged,
    EngineError,
    RingStyle,
    SetAudioPolicy,
    SetDevices,
    SwitchReason,
)

log = logging.getLogger(__name__)

ROLES: dict[DeviceRole, Kind] = {"microphone": "input", "speaker": "output", "ringer": "output"}
STALL_MEMORY_SECONDS = 15.0  # a device that stalls twice within this is left out


@dataclass(frozen=True)
class Choice:
    """The device chosen for one role (None: nothing usable)."""

    device: DeviceInfo | None

    @property
    def name(self) -> str:
        return self.device.name if self.device else ""

    @property
    def index(self) -> int | None:
        return self.device.index if self.device else None


class AudioRouter:
    """Chooses devices and keeps the streams on them (main thread)."""

    def __init__(self, emit: EventSink, sound: SoundCard, ringer: Ringer, rate: int, *,
                 default_ringtone: str = "",
                 probe: Callable[[int, Kind, int], str] = devices.probe,
                 query: Callable[[], DeviceList] = devices.query,
                 refresh: Callable[[], None] = devices.refresh) -> None:
        self.emit = emit
        self.sound = sound
        self.ringer = ringer
        self.rate = rate
        self.default_ringtone = default_ringtone
        self.requested = SetDevices()
        self.policy = SetAudioPolicy()
        self._probe = probe
        self._query = query
        self._refresh = refresh
        self.found = DeviceList((), None, None)
        self.choices: dict[DeviceRole, Choice] = {}
        self._reported: dict[DeviceRole, tuple[str, str]] = {}  # role -> (wanted, using)
        # (name, kind) that failed to open since devices last changed: an ALSA PCM of a
        # sound-server sink is listed as an input too, and fails only as an input.
        self.unusable: set[tuple[str, Kind]] = set()
        self._stalls: dict[tuple[str, Kind], list[float]] = {}
        self.sound_needed = False
        self.ringing = False
        self.last_switch: AudioDeviceSwitched | None = None

    # ----------------------------------------------------------------- commands

    def set_devices(self, request: SetDevices) -> None:
        self.requested = request
        self.apply()

    def set_policy(self, policy: SetAudioPolicy) -> None:
        if policy.fallback_devices != self.policy.fallback_devices:
            self._reported.clear()  # a new preference list: like choosing anew
        self.policy = policy
        self.ringer.configure(policy.ringtone, policy.key_account_ringtone,
                              policy.ring_volume, self.default_ringtone)
        self.apply()

    def refresh(self) -> None:
        """Re-read the device list (the agent asked); every stream is reopened."""
        self.unusable.clear()
        self._reinitialise()
        self.apply()

    def system_changed(self, alsa_changed: bool) -> None:
        """The watcher saw devices come or go: look again, move what must move.

        PortAudio is re-initialised (closing every stream) only when ALSA's cards
        changed; a sound-server change keeps the streams that still work.
        """
        log.info("sound devices changed (ALSA cards changed: %s)", alsa_changed)
        self.unusable.clear()
        self._stalls.clear()
        if alsa_changed:
            self._reinitialise()
        self.apply(recheck=True)

    def _reinitialise(self) -> None:
        self.sound.close()
        self.ringer.stop()
        self._refresh()

    # ----------------------------------------------------------------- streams

    def set_sound_needed(self, needed: bool) -> None:
        """Open the sound card on the chosen devices while a call needs it."""
        self.sound_needed = needed
        if needed:
            self._open_sound()
        elif self.sound.running:
            self.sound.close()

    def set_ringing(self, ringing: bool, style: RingStyle) -> None:
        self.ringer.set_style(style)
        self.ringing = ringing
        if ringing:
            self._start_ringer()
        elif self.ringer.ringing:
            self.ringer.stop()

    def check_health(self, now: float) -> None:
        """Per loop turn: move streams whose device stopped delivering."""
        gone: list[tuple[tuple[str, Kind], str]] = []
        if self.sound.running:
            for kind, why in self.sound.problems(now).items():
                role: DeviceRole = "microphone" if kind == "input" else "speaker"
                gone.append(((self.choices.get(role, Choice(None)).name, ROLES[role]), why))
        for index, why in self.ringer.problems(now).items():
            gone.append(((self._name_of(index), "output"), why))
        if not gone:
            return
        for key, why in gone:
            log.warning('audio device "%s" (%s) stopped: %s', key[0], key[1], why)
            stalls = [t for t in self._stalls.get(key, []) if now - t < STALL_MEMORY_SECONDS]
            stalls.append(now)
            self._stalls[key] = stalls
            if len(stalls) > 1 or "never started" in why:
                self.unusable.add(key)
        # Its streams are closed so that the probe tells whether the device is still there.
        self.sound.close()
        self.ringer.stop()
        self.apply()

    def _name_of(self, index: int) -> str:
        return next((d.name for d in self.found.devices if d.index == index), str(index))

    # ----------------------------------------------------------------- choosing

    def _wanted(self, role: DeviceRole) -> str:
        return {"microphone": self.requested.microphone, "speaker": self.requested.speaker,
                "ringer": self.requested.ringer}[role]

    def apply(self, recheck: bool = False) -> None:
        """Choose every role's device, put the streams on them, report what changed.

        ``recheck`` probes the devices our streams use too (after the sound server's
        devices changed, a stream may sit on a sink that is gone).
        """
        self.found = self._query()
        probed: dict[tuple[int, Kind], str] = {}
        previous = self.choices
        self.choices = {role: self._choose(role, kind, previous.get(role), probed, recheck)
                        for role, kind in ROLES.items()}
        if self.sound_needed:
            self._open_sound()
        if self.ringing:
            self._start_ringer()
        else:
            self.ringer.devices = self._ring_devices()
        self._report()

    def _choose(self, role: DeviceRole, kind: Kind, current: Choice | None,
                probed: dict[tuple[int, Kind], str], recheck: bool) -> Choice:
        wanted = self._wanted(role)
        order = devices.candidates(wanted, self.policy.fallback_devices, self.found, kind,
                                   [name for name, k in self.unusable if k == kind])
        keep = (current is not None and current.device is not None
                and not same_device(current.name, wanted) and self.sound_needed
                and not self.policy.return_to_headset)
        if keep:  # stay on the fallback for the rest of the call
            assert current is not None
            order.sort(key=lambda d: not same_device(d.name, current.name))
        for device in order:
            in_use = self._in_use_by_us(device, kind)
            if in_use and not recheck:
                return Choice(device)
            key = (device.index, kind)
            if key not in probed:
                probed[key] = self._probe(device.index, kind, self.rate)
            problem = probed[key]
            # A device we hold open may refuse a second stream (ALSA hardware): still ours.
            if not problem or (in_use and "busy" in problem.casefold()):
                return Choice(device)
            log.info('audio device "%s" cannot be opened as %s: %s', device.name, kind, problem)
            self.unusable.add((device.name, kind))
        return Choice(None)

    def _in_use_by_us(self, device: DeviceInfo, kind: Kind) -> bool:
        if kind == "input":
            return self.sound.input_device == device.index
        return device.index in (self.sound.output_device, *self.ringer.playing_on)

    def _ring_devices(self) -> list[int]:
        ring_on = self.policy.ring_on
        wanted = []
        if ring_on in ("ringer", "both"):
            wanted.append(self.choices["ringer"].index)
        if ring_on in ("headset", "both"):
            wanted.append(self.choices["speaker"].index)
        return list(dict.fromkeys(i for i in wanted if i is not None))

    def _open_sound(self) -> None:
        """Open (or move) the microphone and speaker streams onto the choices."""
        roles: tuple[tuple[DeviceRole, Callable[[int | None], str], int | None], ...] = (
            ("microphone", self.sound.open_input, self.sound.input_device),
            ("speaker", self.sound.open_output, self.sound.output_device),
        )
        for role, opener, current in roles:
            choice = self.choices.get(role, Choice(None))
            if choice.index is not None and choice.index == current:
                continue
            problem = opener(choice.index)
            if problem:
                log.warning("%s", problem)
                if choice.device is not None:
                    self.unusable.add((choice.name, ROLES[role]))
                self.emit(EngineError("environment", problem))

    def _start_ringer(self) -> None:
        wanted = self._ring_devices()
        if set(self.ringer.playing_on) != set(wanted):
            self.ringer.stop()
        self.ringer.devices = wanted
        problem = self.ringer.start()
        if problem:
            log.warning("%s", problem)
            self.emit(EngineError("environment", problem))

    # ----------------------------------------------------------------- reporting

    def _report(self) -> None:
        for role in ROLES:
            wanted, using = self._wanted(role), self.choices[role].name
            before = self._reported.get(role)
            self._reported[role] = (wanted, using)
            if not wanted.strip():
                continue  # the system default: nothing the agent chose went away
            if before is None or not same_device(before[0], wanted):
                if not same_device(using, wanted):  # chosen now, and not there
                    self._switched(role, "missing", wanted, "", using)
                continue
            old_using = before[1]
            if same_device(old_using, using):
                continue
            reason: SwitchReason = "returned" if same_device(using, wanted) else "unplugged"
            self._switched(role, reason, wanted, old_using, using)
        self.emit(self.devices_event())

    def _switched(self, role: DeviceRole, reason: SwitchReason, wanted: str, previous: str,
                  current: str) -> None:
        event = AudioDeviceSwitched(role, reason, wanted, previous, current,
                                    switch_message(role, reason, wanted, previous, current))
        log.info("%s", event.message)
        self.last_switch = event
        self.emit(event)

    def devices_event(self) -> DevicesChanged:
        warnings = []
        fallback = False
        for role, kind in ROLES.items():
            wanted, using = self._wanted(role), self.choices[role].name
            if not using:
                what = "microphone" if kind == "input" else "speaker or headset"
                warnings.append(f"No {what} is connected.")
            elif wanted.strip() and not same_device(wanted, using):
                fallback = True
                warnings.append(
                    f'{ROLE_WORDS[role]} "{wanted}" is not connected; using "{using}" instead.')
        ring_on = [self._name_of(i) for i in self._ring_devices()]
        return DevicesChanged(
            inputs=_unique(self.found.names("input")),
            outputs=_unique(self.found.names("output")),
            microphone=self.choices["microphone"].name,
            speaker=self.choices["speaker"].name,
            ringer=self.choices["ringer"].name,
            warnings=list(dict.fromkeys(warnings)),
            ring_on=ring_on,
            fallback=fallback,
        )


def switch_message(role: DeviceRole, reason: SwitchReason, wanted: str, previous: str,
                   current: str) -> str:
    """The agent-facing sentence for an automatic device move."""
    what = ROLE_WORDS[role]
    using = f'using "{current}"' if current else f"no other {what.lower()} is available"
    if reason == "returned":
        return f'{what} "{wanted}" is back — using it again.'
    if reason == "missing":
        return f'{what} "{wanted}" is not connected — {using}.'
    gone = previous or wanted
    return f'{what} "{gone}" unplugged — {using}.'


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


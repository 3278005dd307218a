"""The headset's call buttons and lights, wired to the phone.

``HeadsetService(phone, settings)`` finds headsets with telephony controls, opens the
chosen one and runs a reader thread for it: button presses become ``phone.answer``,
``hangup``, ``set_muted``, ``hold``/``resume``; the phone's events drive the lights.

Which headset: the one whose product name contains ``headset.device`` when set and
plugged in, else the one whose name matches the chosen audio device (``audio.speaker``),
else the first found. ``headset.buttons`` off turns it all off. An unplugged headset is
looked for again every :data:`RESCAN_SECONDS`; a headset the system does not let the app
open (no udev rule) is reported once, as a log warning and as :attr:`problem`, a
message for the agent, and the app goes on without buttons.

Threads:
- "headset-watch" finds, chooses and opens headsets, and closes them at stop;
- one "headset-reader" thread per open headset owns its device: it reads reports,
  calls the phone's actions and writes the lights;
- the phone's event thread and the settings writer's thread only store news for them.

Imports no Qt.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from softphone import protocol
from softphone.errors import EnvironmentalError, UserFacingError
from softphone.headset.descriptor import DescriptorError
from softphone.headset.telephony import (
    Action,
    Answer,
    CallControl,
    CallView,
    Hangup,
    Hold,
    Light,
    NoCallButtons,
    Redial,
    Resume,
    SetMuted,
    TelephonyMap,
)
from softphone.headset.transport import Backend, DeviceInfo, Transport, load_backend
from softphone.phone import EngineCrashed, EngineRestarted, PhoneEvent, PhoneState
from softphone.settings import Settings

log = logging.getLogger(__name__)

RESCAN_SECONDS = 2.0  # how often missing or unplugged headsets are looked for
POLL_SECONDS = 0.05  # longest wait for a report; lights follow the phone within it
UDEV_RULE = "70-softphone-headsets.rules"
PERMISSION_MESSAGE = (
    "The headset's call buttons and lights are off: this computer does not let the "
    "app use {name}. Ask IT to install the rule file " + UDEV_RULE + " from the app's "
    "packaging/linux folder into /etc/udev/rules.d/ and run "
    "'sudo udevadm control --reload && sudo udevadm trigger', then plug the headset in "
    "again."
)
SETTINGS = ("headset.buttons", "headset.device", "audio.speaker")
_CALL_EVENTS = (protocol.IncomingCall, protocol.CallStateChanged,
                protocol.MediaStateChanged, protocol.MuteChanged, EngineCrashed,
                EngineRestarted)
_LIVE_STATES = ("calling", "early", "connecting", "confirmed")

Clock = Callable[[], float]


class PhoneLike(Protocol):
    """What the service uses of :class:`softphone.phone.Phone`."""

    def subscribe(self, subscriber: Callable[[PhoneEvent], None]) -> None: ...
    def snapshot(self) -> PhoneState: ...
    def answer(self, call_id: str | None = None) -> str | None: ...
    def hangup(self, call_id: str | None = None) -> str | None: ...
    def hold(self, call_id: str | None = None) -> None: ...
    def resume(self, call_id: str | None = None) -> None: ...
    def set_muted(self, muted: bool) -> None: ...
    def redial(self) -> str | None: ...


def call_view(state: PhoneState) -> CallView:
    """The calls as the headset sees them (any thread)."""
    calls = list(state.calls.values())
    ringing = next((c.id for c in calls if c.state == "incoming"), None)
    live = [c for c in calls if c.state in _LIVE_STATES]
    on_hold = bool(live) and all(c.local_hold for c in live)
    return CallView(ringing_call=ringing, in_call=bool(live), on_hold=on_hold,
                    muted=state.muted)


def choose_headset(devices: list[DeviceInfo], wanted: str, speaker: str) -> DeviceInfo | None:
    """The headset to use: by ``headset.device``, else matching the audio device, else
    the first (any thread)."""
    wanted, speaker = wanted.strip().casefold(), speaker.strip().casefold()
    if wanted:
        match = next((d for d in devices if wanted in d.name.casefold()), None)
        if match is not None:
            return match
    if speaker:
        match = next((d for d in devices if _same_device(d.name.casefold(), speaker)), None)
        if match is not None:
            return match
    return devices[0] if devices else None


def _same_device(product: str, audio_device: str) -> bool:
    """Audio device names usually contain the USB product name ("Jabra Evolve2 65:
    USB Audio (hw:2,0)"); sometimes the other way round."""
    return bool(product) and (product in audio_device or audio_device in product)


@dataclass(frozen=True)
class _Status:
    name: str | None = None
    path: str | None = None
    buttons: bool = False
    reason: str | None = None
    lights: tuple[str, ...] = ()


class HeadsetService:
    """See the module docstring for what it does and on which threads."""

    def __init__(self, phone: PhoneLike, settings: Settings, *,
                 backend: Backend | None = None, clock: Clock = time.monotonic,
                 rescan_seconds: float = RESCAN_SECONDS) -> None:
        """Main thread. ``backend`` defaults to hidapi; tests pass a fake."""
        self._phone = phone
        self._settings = settings
        self._backend, self._backend_problem = (
            (backend, "") if backend is not None else load_backend())
        self._clock = clock
        self._rescan_seconds = rescan_seconds
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._watcher: threading.Thread | None = None
        self._link: _HeadsetLink | None = None
        self._view = CallView()
        self._status = _Status(reason="not started")
        self._problem: str | None = None
        self._lost: str | None = None  # why the last headset went away, until one opens
        self._unusable: dict[str, str] = {}  # path -> why, while that device stays plugged
        self._problem_listeners: list[Callable[[str], None]] = []
        self._subscribed = False

    # -------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Main thread: follow the phone and the settings, start looking for headsets."""
        if self._watcher is not None:
            return
        if not self._subscribed:
            self._subscribed = True
            self._phone.subscribe(self._on_phone_event)
            self._settings.on_change(self._on_setting_changed)
        self._view = call_view(self._phone.snapshot())
        self._stopping.clear()
        self._watcher = threading.Thread(target=self._watch, name="headset-watch",
                                         daemon=True)
        self._watcher.start()

    def stop(self) -> None:
        """Main thread: close the headset (its lights turned off) and end the threads."""
        watcher, self._watcher = self._watcher, None
        if watcher is None:
            return
        self._stopping.set()
        self._wake.set()
        watcher.join(timeout=5)

    # -------------------------------------------------------------- state

    @property
    def problem(self) -> str | None:
        """A message for the agent about headset buttons not working, or None (any
        thread). Set once, when the system refuses access to the headset."""
        return self._problem

    def add_problem_listener(self, listener: Callable[[str], None]) -> None:
        """``listener(message)`` runs once on the watcher thread when :attr:`problem`
        is set; it must hand the message to the GUI thread and return."""
        self._problem_listeners.append(listener)

    def status(self) -> dict[str, Any]:
        """The headset part of ``softphone status --json`` (any thread)."""
        with self._lock:
            status = self._status
        return {
            "enabled": bool(self._settings["headset.buttons"]),
            "name": status.name,
            "path": status.path,
            "buttons": status.buttons,
            "lights": list(status.lights),
            "reason": status.reason,
            "problem": self._problem,
        }

    # -------------------------------------------------------------- news from others

    def _on_phone_event(self, event: PhoneEvent) -> None:
        """Phone's event thread: pass the calls' new state to the open headset."""
        if not isinstance(event, _CALL_EVENTS):
            return
        view = call_view(self._phone.snapshot())
        with self._lock:
            self._view = view
            link = self._link
        if link is not None:
            link.set_view(view)

    def _on_setting_changed(self, name: str, _value: object) -> None:
        """Settings writer's thread: choose the headset again."""
        if name in SETTINGS:
            self._wake.set()

    # -------------------------------------------------------------- watcher thread

    def _watch(self) -> None:
        """Watcher thread: keep the right headset open until stop."""
        try:
            while not self._stopping.is_set():
                self._wake.clear()
                try:
                    self._scan()
                except Exception:
                    log.exception("Looking for headsets failed")
                self._wake.wait(self._rescan_seconds)
        finally:
            self._close_link()

    def _scan(self) -> None:
        """Watcher thread: open the headset that should be used, close any other."""
        if not self._settings["headset.buttons"]:
            self._close_link()
            self._lost = None
            self._set_status(_Status(reason="turned off in the settings (headset.buttons)"))
            return
        if self._backend is None:
            self._set_status(_Status(reason=self._backend_problem))
            return
        try:
            devices = self._usable(self._backend.devices())
        except OSError as exc:
            self._set_status(_Status(reason=f"cannot list the headsets: {exc}"))
            return
        device = choose_headset(devices, str(self._settings["headset.device"]),
                                str(self._settings["audio.speaker"]))
        link = self._link
        if link is not None and link.alive and link.device == device:
            return
        self._close_link()
        if device is None:
            reason = self._lost or next(iter(self._unusable.values()), None)
            self._set_status(_Status(reason=reason or "no headset with call buttons found"))
            return
        self._open(device)

    def _usable(self, devices: list[DeviceInfo]) -> list[DeviceInfo]:
        """Watcher thread: the devices not known to be unusable; one unplugged is
        forgotten, so that it is tried again when it comes back."""
        plugged = {device.path for device in devices}
        self._unusable = {p: why for p, why in self._unusable.items() if p in plugged}
        return [device for device in devices if device.path not in self._unusable]

    def _open(self, device: DeviceInfo) -> None:
        """Watcher thread: open ``device`` and start its reader, or record why not."""
        assert self._backend is not None
        status = _Status(name=device.name, path=device.path)
        try:
            transport = self._backend.open(device)
        except PermissionError:
            self._set_status(replace(status, reason="no permission to open the headset"))
            self._report_permission(device)
            return
        except OSError as exc:
            self._set_status(replace(status, reason=f"cannot open the headset: {exc}"))
            return
        try:
            telephony = TelephonyMap.from_descriptor(transport.descriptor())
        except (OSError, DescriptorError, NoCallButtons) as exc:
            transport.close()
            reason = f"{device.name}: unusable report descriptor: {exc}"
            self._unusable[device.path] = reason
            self._set_status(replace(status, reason=reason))
            return
        with self._lock:
            view = self._view
            self._link = _HeadsetLink(device, transport, telephony, phone=self._phone,
                                      clock=self._clock, on_lost=self._on_link_lost,
                                      view=view)
            self._link.start()
            self._lost = None
        lights = tuple(sorted(light.name.lower() for light in telephony.lights))
        log.info("Headset buttons: using %s (%s), lights %s", device.name, device.path,
                 ", ".join(lights) or "none")
        self._set_status(replace(status, buttons=True, lights=lights))

    def _close_link(self) -> None:
        """Watcher thread: stop the open headset's reader and release the device."""
        with self._lock:
            link, self._link = self._link, None
        if link is not None:
            link.stop()

    def _on_link_lost(self, link: _HeadsetLink) -> None:
        """Reader thread of a headset that went away: look for it again now."""
        self._lost = link.lost_reason
        self._set_status(_Status(name=link.device.name, path=link.device.path,
                                 reason=link.lost_reason))
        self._wake.set()

    def _set_status(self, status: _Status) -> None:
        """Watcher or reader thread: record the state ``status()`` reports."""
        with self._lock:
            changed, self._status = status != self._status, status
        if changed and status.reason:
            log.info("Headset buttons not working: %s", status.reason)

    def _report_permission(self, device: DeviceInfo) -> None:
        """Watcher thread: say once that the system refuses access to the headset."""
        if self._problem is not None:
            return
        self._problem = PERMISSION_MESSAGE.format(name=device.name)
        log.warning("No permission to open headset %s (%s): install %s for its buttons",
                    device.name, device.path, UDEV_RULE)
        for listener in list(self._problem_listeners):
            try:
                listener(self._problem)
            except Exception:
                log.exception("Headset problem listener failed")


# ------------------------------------------------------------------ one open headset


class _HeadsetLink:
    """One open headset and its reader thread, which alone touches the device."""

    def __init__(self, device: DeviceInfo, transport: Transport, telephony: TelephonyMap, *,
                 phone: PhoneLike, clock: Clock, on_lost: Callable[[_HeadsetLink], None],
                 view: CallView) -> None:
        """Watcher thread."""
        self.device = device
        self.lost_reason: str | None = None
        self._transport = transport
        self._telephony = telephony
        self._phone = phone
        self._clock = clock
        self._on_lost = on_lost
        self._control = CallControl(hook_is_toggle=telephony.hook_is_toggle)
        self._control.set_view(view, clock())
        self._pending: list[CallView] = []
        self._pending_lock = threading.Lock()
        self._written: dict[int, bytes] = {}
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="headset-reader", daemon=True)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive() and self.lost_reason is None

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Watcher thread: end the reader, which turns the lights off and closes."""
        self._stopping.set()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout=5)

    def set_view(self, view: CallView) -> None:
        """Phone's event thread: the reader applies it before its next decision. Views
        are applied in order, none skipped: a mute turned on and off again must reach
        the reader as two changes."""
        with self._pending_lock:
            self._pending.append(view)

    # -------------------------------------------------------------- reader thread

    def _run(self) -> None:
        """Reader thread: reports to actions, calls to lights, until stopped or gone."""
        try:
            self._write_lights()
            while not self._stopping.is_set():
                report = self._transport.read(POLL_SECONDS)
                self._apply_pending()
                if report:
                    self._perform(self._control.handle(
                        self._telephony.button_levels(report), self._clock()))
                self._write_lights()
            self._turn_lights_off()
        except OSError as exc:
            self.lost_reason = f"headset disconnected ({exc}); looking for it again"
            log.info("Headset %s went away: %s", self.device.name, exc)
            self._on_lost(self)
        except Exception:
            self.lost_reason = "headset buttons failed; see the log"
            log.exception("Headset %s reader failed", self.device.name)
            self._on_lost(self)
        finally:
            self._transport.close()

    def _apply_pending(self) -> None:
        with self._pending_lock:
            views, self._pending = self._pending, []
        for view in views:
            self._control.set_view(view, self._clock())

    def _perform(self, actions: list[Action]) -> None:
        """Reader thread: call the phone; it only queues commands, so this is quick."""
        for action in actions:
            log.info("Headset %s: %s", self.device.name, action)
            if isinstance(action, Answer):
                self._phone.answer(action.call_id)
            elif isinstance(action, Hangup):
                self._phone.hangup()
            elif isinstance(action, SetMuted):
                self._phone.set_muted(action.muted)
            elif isinstance(action, Hold):
                self._phone.hold()
            elif isinstance(action, Resume):
                self._phone.resume()
            elif isinstance(action, Redial):
                self._redial()

    def _redial(self) -> None:
        """Reader thread. A failed redial shows nowhere else (the app's window may be
        hidden), so it is logged; the engine being down is already on the status bar."""
        try:
            if self._phone.redial() is None:
                log.info("Headset %s: redial, but no number was dialled yet", self.device.name)
        except (UserFacingError, EnvironmentalError) as exc:
            log.warning("Headset %s: redial failed: %s", self.device.name, exc)

    def _write_lights(self) -> None:
        """Reader thread: send the light reports whose contents changed."""
        now = self._clock()
        lights = self._control.lights(now)
        resync = self._control.take_resync()
        for report_id, report in self._telephony.output_reports(lights).items():
            if resync or self._written.get(report_id) != report:
                self._transport.write(report)
                self._written[report_id] = report
        if Light.OFF_HOOK in self._telephony.lights:
            self._control.lights_written(lights, now)

    def _turn_lights_off(self) -> None:
        """Reader thread at stop: leave no light on a headset the app no longer drives."""
        self._control.set_view(CallView(), self._clock())
        self._write_lights()

"""The phone as the rest of the app sees it: state built from engine events, and actions.

``Phone`` owns the engine supervisor. It turns engine events into its own state
(registration, calls, devices, levels), records finished calls in the history, and
tells subscribers what changed. It imports no Qt: the GUI subscribes and re-posts
events to its own thread.

Threads: actions (``dial``, ``answer``...) may be called from any thread. Subscribers
are called on the engine reader thread (or the thread that called ``start``), after the
state has been updated; they must not block.
"""

from __future__ import annotations

import collections
import copy
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from softphone import protocol, targets
from softphone.errors import EnvironmentalError, UserFacingError
from softphone.redact import redact
from softphone.settings import Settings
from softphone.storage.history import CallHistory, HistoryEntry
from softphone.supervisor import EngineProcess, Supervisor

log = logging.getLogger(__name__)

PasswordProvider = Callable[[], str | None]


# ------------------------------------------------------------------ app-level events


@dataclass(frozen=True)
class EngineCrashed:
    """The engine died unexpectedly; its calls are gone. A restart follows."""

    pid: int
    exit_code: int


@dataclass(frozen=True)
class EngineRestarted:
    """A new engine is running after a crash (show "phone engine restarted")."""

    pid: int


@dataclass(frozen=True)
class CallEnded:
    """A call left the call list; ``entry`` is what went into the history."""

    entry: HistoryEntry


PhoneEvent = protocol.Event | EngineCrashed | EngineRestarted | CallEnded


# ------------------------------------------------------------------ state


@dataclass
class Call:
    id: str
    direction: protocol.Direction
    state: protocol.CallStateName
    remote: protocol.RemoteParty
    started_at: float = field(default_factory=time.time)
    answered_at: float | None = None
    local_hold: bool = False
    remote_hold: bool = False
    declined: bool = False
    last_code: int = 0
    last_reason: str = ""
    stats: protocol.StreamStats | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "direction": self.direction,
            "state": "held" if self.local_hold and self.state == "confirmed" else self.state,
            "remote": {
                "display_name": self.remote.display_name,
                "number": self.remote.number,
                "uri": self.remote.uri,
            },
            "started_at": self.started_at,
            "answered_at": self.answered_at,
            "on_hold": self.local_hold,
        }


@dataclass
class PhoneState:
    registration: protocol.RegistrationChanged = field(
        default_factory=lambda: protocol.RegistrationChanged("unregistered", "not configured")
    )
    engine_pid: int = 0
    sip_port: int = 0
    engine_alive: bool = False
    engine_restarts: int = 0
    calls: dict[str, Call] = field(default_factory=dict)
    devices: protocol.DevicesChanged = field(default_factory=protocol.DevicesChanged)
    last_switch: protocol.AudioDeviceSwitched | None = None
    last_switch_at: float = 0.0
    muted: bool = False
    levels: protocol.AudioLevels = field(default_factory=lambda: protocol.AudioLevels(0.0, 0.0))
    last_error: protocol.EngineError | None = None
    #: The last "Test my audio" report (None: no test since the app started).
    audio_test: protocol.AudioTestProgress | None = None
    #: The last in-call microphone report, while its call lasts.
    microphone_check: protocol.MicrophoneCheck | None = None


class Phone:
    """Owner of the engine and of the phone's state. See the module docstring for threads."""

    def __init__(
        self,
        settings: Settings,
        history: CallHistory,
        password_provider: PasswordProvider,
        engine_log_file: Any = None,
        quiet_engine: bool = False,
    ) -> None:
        """``quiet_engine`` drops the engine's terminal output (see ``EngineProcess``)."""
        self.settings = settings
        self.history = history
        self._password_provider = password_provider
        self._lock = threading.RLock()
        self._state = PhoneState()
        self._subscribers: list[Callable[[PhoneEvent], None]] = []
        self._restarting = False
        self._ended: collections.deque[str] = collections.deque(maxlen=64)
        self._last_dialled = ""  # what redial calls: typed as the agent typed it
        self._supervisor = Supervisor(
            on_event=self._handle_engine_event,
            on_started=self._configure_engine,
            on_crash=self._handle_crash,
            log_file=engine_log_file,
            log_level=str(settings["log.level"]),
            quiet=quiet_engine,
        )
        settings.on_change(self._setting_changed)
        self.history.last_dialled_async().add_done_callback(self._remember_last_dialled)

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        self._supervisor.start()

    def stop(self) -> None:
        self._supervisor.stop()
        with self._lock:
            self._state.engine_alive = False

    def subscribe(self, subscriber: Callable[[PhoneEvent], None]) -> None:
        self._subscribers.append(subscriber)

    def snapshot(self) -> PhoneState:
        """A deep copy of the current state, safe to read on any thread."""
        with self._lock:
            engine = self._supervisor.engine
            self._state.engine_alive = engine is not None and engine.alive
            return copy.deepcopy(self._state)

    def status(self) -> dict[str, Any]:
        """The state as JSON-ready data (``softphone status --json``)."""
        state = self.snapshot()
        return {
            "registration": {"state": state.registration.state,
                             "reason": state.registration.reason,
                             "code": state.registration.code},
            "engine": {"pid": state.engine_pid, "alive": state.engine_alive,
                       "restarts": state.engine_restarts, "sip_port": state.sip_port},
            "calls": [call.as_json() for call in state.calls.values()],
            "audio": _audio_json(state),
        }

    # ---------------------------------------------------------------- actions

    def register(self) -> None:
        """(Re-)register with the configured account, asking for the password if needed."""
        account = self._account_config()
        if account is None:
            return
        self._supervisor.send(protocol.Register(account))

    def dial(self, target: str) -> str:
        """Start an outgoing call, holding the call being talked on; returns the new call id.

        Raises UserFacingError on bad input, EnvironmentalError when the engine is down.
        """
        normalised = self._normalise(target)
        call_id = f"out-{uuid.uuid4().hex[:12]}"
        remote = protocol.RemoteParty(number=target, uri=normalised)
        self._hold_talking(except_id=None)
        with self._lock:
            self._state.calls[call_id] = Call(call_id, "outgoing", "calling", remote)
        if not self._supervisor.send(protocol.Dial(call_id, normalised)):
            with self._lock:
                self._state.calls.pop(call_id, None)
            raise EnvironmentalError("The phone engine is not running.")
        with self._lock:
            self._last_dialled = target
        self._publish(protocol.CallStateChanged(call_id, "calling", "outgoing", remote))
        return call_id

    def redial(self) -> str | None:
        """Call the last number dialled again (any thread); None when there is none.

        The last number survives restarts through the call history, read once at start.
        Raises as :meth:`dial` does.
        """
        with self._lock:
            target = self._last_dialled
        return self.dial(target) if target else None

    def _remember_last_dialled(self, entry: Future[HistoryEntry | None]) -> None:
        """Database worker thread: the history's last outgoing call, unless a call was
        dialled since the app started."""
        try:
            last = entry.result()  # None too from a history that keeps nothing
        except Exception:
            log.exception("Could not read the call history for redial")
            return
        if last is None:
            return
        with self._lock:
            if not self._last_dialled:
                self._last_dialled = last.number or last.uri

    def answer(self, call_id: str | None = None) -> str | None:
        """Answer ``call_id`` (default: the first ringing call), holding the current call."""
        call_id = call_id or self._first_call("incoming")
        if call_id:
            self._hold_talking(except_id=call_id)
            self._supervisor.send(protocol.Answer(call_id))
        return call_id

    def _hold_talking(self, except_id: str | None) -> None:
        """Put the call being talked on on hold, so two calls never share the headset."""
        with self._lock:
            talking = [c.id for c in self._state.calls.values()
                       if c.state == "confirmed" and not c.local_hold and c.id != except_id]
        for call_id in talking:
            self._supervisor.send(protocol.Hold(call_id))

    def decline(self, call_id: str | None = None, code: int = 486) -> str | None:
        call_id = call_id or self._first_call("incoming")
        if call_id:
            self._mark_declined(call_id)
            self._supervisor.send(protocol.Decline(call_id, code))
        return call_id

    def hangup(self, call_id: str | None = None) -> str | None:
        """End a call; hanging up a ringing incoming call declines it."""
        call_id = call_id or self._current_call_id()
        if call_id:
            self._mark_declined(call_id)
            self._supervisor.send(protocol.Hangup(call_id))
        return call_id

    def _mark_declined(self, call_id: str) -> None:
        with self._lock:
            call = self._state.calls.get(call_id)
            if call is not None and call.direction == "incoming" and call.answered_at is None:
                call.declined = True

    def hold(self, call_id: str | None = None) -> None:
        call_id = call_id or self._current_call_id()
        if call_id:
            self._supervisor.send(protocol.Hold(call_id))

    def resume(self, call_id: str | None = None) -> None:
        call_id = call_id or self._first_held_call()
        if call_id:
            self._hold_talking(except_id=call_id)
            self._supervisor.send(protocol.Resume(call_id))

    def set_muted(self, muted: bool) -> None:
        self._supervisor.send(protocol.Mute(muted))

    def send_dtmf(self, digits: str, call_id: str | None = None) -> None:
        call_id = call_id or self._current_call_id()
        if call_id:
            self._supervisor.send(protocol.SendDtmf(call_id, digits))

    def transfer(self, target: str, call_id: str | None = None) -> None:
        normalised = self._normalise(target)
        call_id = call_id or self._current_call_id()
        if call_id:
            self._supervisor.send(protocol.Transfer(call_id, normalised))

    def refresh_devices(self) -> None:
        self._supervisor.send(protocol.RefreshDevices())

    def test_audio(self, seconds: float = 3.0, microphone: str | None = None,
                   speaker: str | None = None) -> None:
        """"Test my audio" (any thread): record ``seconds`` from the microphone and play
        them back on the headset; progress arrives as ``AudioTestProgress`` events.

        ``microphone`` and ``speaker`` name the devices to test ("" for the system
        default); None means the ones in the settings. Raises UserFacingError during a
        call, EnvironmentalError when the engine is down. The engine refuses too (a
        call may have just come in) with a "failed" progress event.
        """
        with self._lock:
            busy = bool(self._state.calls)
        if busy:
            raise UserFacingError("Your audio cannot be tested during a call. Try again "
                                  "when the call has ended.")
        command = protocol.StartAudioTest(
            seconds,
            str(self.settings["audio.microphone"]) if microphone is None else microphone,
            str(self.settings["audio.speaker"]) if speaker is None else speaker)
        if not self._supervisor.send(command):
            raise EnvironmentalError("The phone engine is not running.")

    def stop_audio_test(self) -> None:
        """Stop a running audio test (any thread); a "failed" event says it stopped."""
        self._supervisor.send(protocol.StopAudioTest())

    def set_ring_style(self, call_id: str, style: protocol.RingStyle) -> None:
        """Ring ``call_id`` with the normal or the key-account ringtone (any thread).

        The screen-pop calls this once it knows the caller is a key-account customer;
        a call that stopped ringing meanwhile is ignored by the engine.
        """
        self._supervisor.send(protocol.SetRingStyle(call_id, style))

    def network_changed(self) -> None:
        self._supervisor.send(protocol.NetworkChanged())

    def _normalise(self, target: str) -> str:
        return targets.normalise_dial_target(target, str(self.settings["calls.default_region"]))

    # ---------------------------------------------------------------- queries

    def _first_call(self, state: str) -> str | None:
        with self._lock:
            return next((c.id for c in self._state.calls.values() if c.state == state), None)

    def _current_call_id(self) -> str | None:
        """The call an unqualified action means: the live unheld one, else any."""
        with self._lock:
            calls = list(self._state.calls.values())
        for call in calls:
            if call.state == "confirmed" and not call.local_hold:
                return call.id
        for call in calls:
            if call.state in ("calling", "early", "connecting", "incoming"):
                return call.id
        return calls[0].id if calls else None

    def _first_held_call(self) -> str | None:
        with self._lock:
            return next((c.id for c in self._state.calls.values() if c.local_hold), None)

    # ---------------------------------------------------------------- engine set-up

    def _account_config(self) -> protocol.AccountConfig | None:
        s = self.settings
        uri = str(s["sip.uri"]).strip()
        if not uri:
            self._set_registration(protocol.RegistrationChanged("unregistered", "not configured"))
            return None
        password = self._password_provider()
        if password is None:
            self._set_registration(protocol.RegistrationChanged("failed", "no password"))
            return None
        return protocol.AccountConfig(
            uri=uri,
            registrar=str(s["sip.registrar"]),
            username=str(s["sip.username"]),
            password=password,
            transport=s["sip.transport"],
            proxy=str(s["sip.proxy"]),
            stun=str(s["sip.stun"]),
            display_name=str(s["sip.display_name"]),
            tls_verify=bool(s["sip.tls_verify"]),
            ca_file=str(s["sip.ca_file"]),
            register_retry_seconds=int(s["sip.register_retry_seconds"]),
            register_expires_seconds=int(s["sip.register_expires_seconds"]),
        )

    def _engine_config(self) -> protocol.EngineConfig:
        s = self.settings
        return protocol.EngineConfig(
            sip_port=int(s["sip.local_port"]),
            rtp_port=int(s["sip.rtp_port"]),
            dtmf_method=s["sip.dtmf_method"],
            auto_answer_seconds=int(s["calls.auto_answer_seconds"]),
            sample_rate=int(s["audio.sample_rate"]),
            sip_trace=bool(s["sip.trace"]),
            log_level=5 if s["log.level"] == "debug" else 3,
        )

    def _devices_command(self) -> protocol.SetDevices:
        s = self.settings
        return protocol.SetDevices(
            str(s["audio.microphone"]), str(s["audio.speaker"]), str(s["audio.ringer"])
        )

    def _policy_command(self) -> protocol.SetAudioPolicy:
        s = self.settings
        fallbacks = [n.strip() for n in str(s["audio.fallback_devices"]).split(",") if n.strip()]
        return protocol.SetAudioPolicy(
            fallback_devices=fallbacks,
            return_to_headset=bool(s["audio.return_to_headset"]),
            ring_on=s["audio.ring_on"],
            ring_volume=int(s["audio.ring_volume"]),
            ringtone=str(s["audio.ringtone"]),
            key_account_ringtone=str(s["audio.key_account_ringtone"]),
        )

    def _configure_engine(self, engine: EngineProcess) -> None:
        """Runs right after each engine start: configure, choose devices, register."""
        with self._lock:
            self._state.engine_pid = engine.pid
            self._state.engine_alive = True
            restarted = self._restarting
            self._restarting = False
        engine.send(protocol.Configure(self._engine_config()))
        engine.send(self._policy_command())
        engine.send(self._devices_command())
        self.register()
        if restarted:
            self._publish(EngineRestarted(engine.pid))

    def _setting_changed(self, name: str, _value: object) -> None:
        if name in _DEVICE_SETTINGS:
            self._supervisor.send(self._devices_command())
        elif name.startswith("audio.") and name != "audio.sample_rate":
            self._supervisor.send(self._policy_command())
        elif name.startswith("sip.") and name not in ("sip.rtp_port", "sip.local_port"):
            self.register()

    # ---------------------------------------------------------------- events

    def _handle_crash(self, pid: int, exit_code: int) -> None:
        """Reader thread of the dead engine: end its calls in the history, then report."""
        with self._lock:
            self._restarting = True
            self._state.engine_alive = False
            self._state.engine_restarts += 1
            self._state.muted = False  # a new engine starts with the microphone live
            self._state.levels = protocol.AudioLevels(0.0, 0.0)
            self._state.registration = protocol.RegistrationChanged(
                "registering", "phone engine restarted"
            )
            calls = list(self._state.calls.values())
            self._state.calls.clear()
            self._state.microphone_check = None
            test = self._state.audio_test
            stopped = None
            if test is not None and test.phase in ("recording", "playing"):
                stopped = protocol.AudioTestProgress(
                    "failed", seconds=test.seconds, microphone=test.microphone,
                    speaker=test.speaker, message="The phone engine stopped during the test. "
                                                  "Try again in a moment.")
                self._state.audio_test = stopped
        for call in calls:
            self._finish_call(call, outcome="dropped")
        if stopped is not None:
            self._publish(stopped)
        self._publish(EngineCrashed(pid, exit_code))

    def _handle_engine_event(self, event: protocol.Event) -> None:
        """Reader thread: apply one engine event to the state, then publish it."""
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            handler(self, event)
        self._publish(event)

    def _set_registration(self, event: protocol.RegistrationChanged) -> None:
        with self._lock:
            self._state.registration = event
        self._publish(event)

    def _on_configured(self, event: protocol.Configured) -> None:
        with self._lock:
            self._state.sip_port = event.sip_port

    def _on_registration(self, event: protocol.RegistrationChanged) -> None:
        with self._lock:
            self._state.registration = event

    def _on_incoming(self, event: protocol.IncomingCall) -> None:
        with self._lock:
            self._state.calls[event.call_id] = Call(
                event.call_id, "incoming", "incoming", event.remote
            )

    def _on_call_state(self, event: protocol.CallStateChanged) -> None:
        with self._lock:
            call = self._state.calls.get(event.call_id)
            if call is None and event.call_id in self._ended:
                return  # a late report about a call already in the history
            if call is None:
                call = Call(event.call_id, event.direction, event.state, event.remote)
                self._state.calls[event.call_id] = call
            # A ringing incoming call is "incoming" whether or not 180 Ringing was sent.
            ringing = event.direction == "incoming" and event.state == "early"
            call.state = "incoming" if ringing else event.state
            if event.remote.uri or event.remote.number:
                call.remote = event.remote
            call.last_code, call.last_reason = event.code, event.reason
            if event.state == "confirmed" and call.answered_at is None:
                call.answered_at = time.time()
            if event.state == "disconnected":
                del self._state.calls[event.call_id]
                self._ended.append(event.call_id)
                check = self._state.microphone_check
                if check is not None and check.call_id == event.call_id:
                    self._state.microphone_check = None
            else:
                return
        self._finish_call(call, _outcome(call))

    def _on_media(self, event: protocol.MediaStateChanged) -> None:
        with self._lock:
            call = self._state.calls.get(event.call_id)
            if call is not None:
                call.local_hold, call.remote_hold = event.local_hold, event.remote_hold

    def _on_devices(self, event: protocol.DevicesChanged) -> None:
        with self._lock:
            self._state.devices = event

    def _on_switch(self, event: protocol.AudioDeviceSwitched) -> None:
        with self._lock:
            self._state.last_switch = event
            self._state.last_switch_at = time.time()

    def _on_mute(self, event: protocol.MuteChanged) -> None:
        with self._lock:
            self._state.muted = event.muted

    def _on_levels(self, event: protocol.AudioLevels) -> None:
        with self._lock:
            self._state.levels = event

    def _on_audio_test(self, event: protocol.AudioTestProgress) -> None:
        with self._lock:
            self._state.audio_test = event

    def _on_microphone_check(self, event: protocol.MicrophoneCheck) -> None:
        log.info("microphone check of %s: %s", event.call_id, event.verdict)
        with self._lock:
            if event.call_id in self._state.calls:
                self._state.microphone_check = event

    def _on_stats(self, event: protocol.StreamStats) -> None:
        with self._lock:
            call = self._state.calls.get(event.call_id)
            if call is not None:
                call.stats = event

    def _on_error(self, event: protocol.EngineError) -> None:
        log_fn = log.error if event.kind == "bug" else log.warning
        log_fn("Engine reported %s error: %s %s", event.kind, _loggable(event.message),
               _loggable(event.details))
        with self._lock:
            self._state.last_error = event

    def _finish_call(self, call: Call, outcome: str) -> None:
        ended = time.time()
        entry = HistoryEntry(
            call_id=call.id,
            direction=call.direction,
            display_name=call.remote.display_name,
            number=call.remote.number,
            uri=call.remote.uri,
            started_at=call.started_at,
            answered_at=call.answered_at,
            ended_at=ended,
            duration_seconds=round(ended - call.answered_at, 1) if call.answered_at else 0.0,
            outcome=outcome,
        )
        self.history.add(entry)
        self._publish(CallEnded(entry))

    def _publish(self, event: PhoneEvent) -> None:
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                # Never the event itself: it holds the caller's name and number.
                log.exception("Subscriber failed on %s of call %s", type(event).__name__,
                              getattr(event, "call_id", "")
                              or getattr(getattr(event, "entry", None), "call_id", "-"))


_QUOTED = re.compile(r'"[^"\r\n]{0,500}"')


def _loggable(text: str) -> str:
    """An engine error's text for the log (any thread): what it quotes (the number the
    agent typed, a caller's name) and identities left out; the agent sees it whole."""
    return redact(_QUOTED.sub('"…"', text))


_DEVICE_SETTINGS = ("audio.microphone", "audio.speaker", "audio.ringer")


def _audio_json(state: PhoneState) -> dict[str, Any]:
    """The devices part of ``softphone status --json``."""
    devices = state.devices
    switch = state.last_switch
    check = state.microphone_check
    return {
        "microphone": devices.microphone,
        "speaker": devices.speaker,
        "ringer": devices.ringer,
        "ring_on": list(devices.ring_on),
        "inputs": list(devices.inputs),
        "outputs": list(devices.outputs),
        "fallback": devices.fallback,
        "warnings": list(devices.warnings),
        "last_switch": None if switch is None else {
            "role": switch.role, "reason": switch.reason, "wanted": switch.wanted,
            "previous": switch.previous, "current": switch.current,
            "message": switch.message, "at": state.last_switch_at,
        },
        "muted": state.muted,
        "microphone_check": None if check is None else {
            "call_id": check.call_id, "verdict": check.verdict, "message": check.message},
    }


def _outcome(call: Call) -> str:
    """How a finished call is recorded in the history."""
    if call.answered_at is not None:
        return "answered"
    if call.direction == "incoming":
        return "declined" if call.declined else "missed"
    if call.last_code in (486, 600):
        return "busy"
    if call.last_code in (480, 408, 487):
        return "no answer"
    return "failed"


_HANDLERS: dict[type[Any], Callable[[Phone, Any], None]] = {
    protocol.Configured: Phone._on_configured,
    protocol.RegistrationChanged: Phone._on_registration,
    protocol.IncomingCall: Phone._on_incoming,
    protocol.CallStateChanged: Phone._on_call_state,
    protocol.MediaStateChanged: Phone._on_media,
    protocol.DevicesChanged: Phone._on_devices,
    protocol.AudioDeviceSwitched: Phone._on_switch,
    protocol.MuteChanged: Phone._on_mute,
    protocol.AudioLevels: Phone._on_levels,
    protocol.StreamStats: Phone._on_stats,
    protocol.AudioTestProgress: Phone._on_audio_test,
    protocol.MicrophoneCheck: Phone._on_microphone_check,
    protocol.EngineError: Phone._on_error,
}

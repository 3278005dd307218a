"""The typed message protocol between the GUI process and the phone engine process.

Every message is a frozen dataclass. On the wire each message is one line of JSON
(``{"type": "<ClassName>", ...fields}``) on the engine's stdin (commands) or stdout
(events). Decoding validates the type of every field, so a corrupt or hostile line
becomes a ``ProtocolError`` instead of a half-built object.

This module imports no Qt and no pjsua2; both processes use it.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias, get_args, get_origin

#: Longest line accepted on the wire; anything longer is a protocol error.
MAX_LINE_BYTES = 256 * 1024

RegistrationStateName = Literal["unregistered", "registering", "registered", "failed"]
CallStateName = Literal[
    "calling", "incoming", "early", "connecting", "confirmed", "disconnected"
]
Direction = Literal["incoming", "outgoing"]
ErrorKind = Literal["user", "environment", "bug"]
DtmfMethod = Literal["rfc4733", "info"]
Transport = Literal["udp", "tcp", "tls"]
RingOn = Literal["ringer", "headset", "both"]
RingStyle = Literal["normal", "key_account"]
DeviceRole = Literal["microphone", "speaker", "ringer"]
SwitchReason = Literal["missing", "unplugged", "returned"]
AudioTestPhase = Literal["recording", "playing", "done", "failed"]
MicVerdict = Literal["ok", "too_quiet", "silent", "clipping"]
#: A verdict, or "" while there is none yet (a refused or failed test before recording).
MaybeVerdict = Literal["", "ok", "too_quiet", "silent", "clipping"]


class ProtocolError(ValueError):
    """A line that is not a valid message."""


# --------------------------------------------------------------------------- values


@dataclass(frozen=True)
class RemoteParty:
    """Who is on the other end of a call, taken from untrusted SIP headers.

    Every field is plain text, already bounded in length by the engine.
    """

    display_name: str = ""
    number: str = ""
    uri: str = ""


@dataclass(frozen=True)
class AccountConfig:
    """What the engine needs to register one SIP account."""

    uri: str
    registrar: str
    username: str
    password: str
    transport: Transport = "udp"
    proxy: str = ""
    stun: str = ""
    display_name: str = ""
    tls_verify: bool = True
    ca_file: str = ""
    register_retry_seconds: int = 5
    register_expires_seconds: int = 300


@dataclass(frozen=True)
class EngineConfig:
    """Endpoint-wide settings, sent once right after the engine starts."""

    sip_port: int = 0
    rtp_port: int = 4000
    rtp_port_range: int = 200
    dtmf_method: DtmfMethod = "rfc4733"
    auto_answer_seconds: int = -1
    sample_rate: int = 16000
    sip_trace: bool = False
    log_level: int = 3
    user_agent: str = "Softphone"
    ringtone_path: str = ""


# --------------------------------------------------------------------------- commands


@dataclass(frozen=True)
class Configure:
    config: EngineConfig


@dataclass(frozen=True)
class Register:
    account: AccountConfig


@dataclass(frozen=True)
class Unregister:
    pass


@dataclass(frozen=True)
class Dial:
    """Place a call. ``call_id`` is chosen by the sender so it can follow the call."""

    call_id: str
    target: str


@dataclass(frozen=True)
class Answer:
    call_id: str


@dataclass(frozen=True)
class Decline:
    call_id: str
    code: int = 486


@dataclass(frozen=True)
class Hangup:
    call_id: str


@dataclass(frozen=True)
class Hold:
    call_id: str


@dataclass(frozen=True)
class Resume:
    call_id: str


@dataclass(frozen=True)
class Mute:
    muted: bool


@dataclass(frozen=True)
class SendDtmf:
    call_id: str
    digits: str


@dataclass(frozen=True)
class Transfer:
    """Blind transfer (REFER) of ``call_id`` to ``target``."""

    call_id: str
    target: str


@dataclass(frozen=True)
class SetDevices:
    """Devices by name; an empty name means the system default."""

    microphone: str = ""
    speaker: str = ""
    ringer: str = ""


@dataclass(frozen=True)
class SetAudioPolicy:
    """What to do when devices come and go, and how calls ring.

    ``fallback_devices`` are device names tried in order when the chosen microphone,
    headset or ringer is missing (the system default comes last); with
    ``return_to_headset`` the audio moves back to the chosen device when it is plugged
    in again. ``ring_on`` says where incoming calls ring, at ``ring_volume`` percent;
    empty ringtone paths mean the built-in tones.
    """

    fallback_devices: list[str] = field(default_factory=list)
    return_to_headset: bool = True
    ring_on: RingOn = "ringer"
    ring_volume: int = 80
    ringtone: str = ""
    key_account_ringtone: str = ""


@dataclass(frozen=True)
class SetRingStyle:
    """Ring ``call_id`` with the normal or the key-account ringtone (screen-pop decides)."""

    call_id: str
    style: RingStyle


@dataclass(frozen=True)
class RefreshDevices:
    pass


@dataclass(frozen=True)
class StartAudioTest:
    """"Test my audio": record ``seconds`` from ``microphone``, play them back on
    ``speaker``, and judge the microphone's level.

    Names are the devices to test, "" meaning the system default (as in ``SetDevices``);
    they need not be the ones in use, so a device can be tried before it is chosen.
    Refused while a call is in progress. The recording stays in the engine's memory and
    is dropped once played back; it is never written to disk. Progress comes as
    ``AudioTestProgress`` events.
    """

    seconds: float = 3.0
    microphone: str = ""
    speaker: str = ""


@dataclass(frozen=True)
class StopAudioTest:
    """Stop a running audio test (the window showing it was closed)."""


@dataclass(frozen=True)
class NetworkChanged:
    """The machine's address changed: re-create transports, re-register, keep calls."""


@dataclass(frozen=True)
class Shutdown:
    pass


Command: TypeAlias = (
    Configure
    | Register
    | Unregister
    | Dial
    | Answer
    | Decline
    | Hangup
    | Hold
    | Resume
    | Mute
    | SendDtmf
    | Transfer
    | SetDevices
    | SetAudioPolicy
    | SetRingStyle
    | RefreshDevices
    | StartAudioTest
    | StopAudioTest
    | NetworkChanged
    | Shutdown
)


# --------------------------------------------------------------------------- events


@dataclass(frozen=True)
class EngineReady:
    pid: int
    version: str


@dataclass(frozen=True)
class Configured:
    """pjsua2 is running; ``sip_port`` is the local SIP port actually bound."""

    sip_port: int


@dataclass(frozen=True)
class RegistrationChanged:
    state: RegistrationStateName
    reason: str = ""
    code: int = 0


@dataclass(frozen=True)
class IncomingCall:
    call_id: str
    remote: RemoteParty


@dataclass(frozen=True)
class CallStateChanged:
    call_id: str
    state: CallStateName
    direction: Direction
    remote: RemoteParty
    code: int = 0
    reason: str = ""


@dataclass(frozen=True)
class MediaStateChanged:
    call_id: str
    active: bool
    local_hold: bool = False
    remote_hold: bool = False


@dataclass(frozen=True)
class MuteChanged:
    muted: bool


@dataclass(frozen=True)
class AudioLevels:
    """Peak levels 0.0..1.0 of the microphone and of what the speaker plays."""

    microphone: float
    speaker: float


@dataclass(frozen=True)
class StreamStats:
    call_id: str
    codec: str = ""
    rx_packets: int = 0
    rx_lost: int = 0
    jitter_ms: float = 0.0
    rtt_ms: float = 0.0
    tx_packets: int = 0


@dataclass(frozen=True)
class DevicesChanged:
    """Available devices and the ones actually in use (after any fallback).

    ``ring_on`` lists the devices incoming calls ring on; ``fallback`` is true while a
    chosen device is missing and another one is used instead.
    """

    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)
    microphone: str = ""
    speaker: str = ""
    ringer: str = ""
    warnings: list[str] = field(default_factory=list)
    ring_on: list[str] = field(default_factory=list)
    fallback: bool = False


@dataclass(frozen=True)
class AudioDeviceSwitched:
    """The engine moved audio to another device by itself.

    ``reason``: "missing" (the chosen device was not there when the engine chose),
    "unplugged" (it went away, during a call or not), "returned" (it is back and the
    audio moved back to it). ``wanted`` is the agent's choice, ``previous`` and
    ``current`` the devices before and after ("" for none). ``message`` says it in
    plain words for the agent.
    """

    role: DeviceRole
    reason: SwitchReason
    wanted: str
    previous: str
    current: str
    message: str


@dataclass(frozen=True)
class AudioTestProgress:
    """Where "Test my audio" is, reported a few times a second while it runs.

    ``phase``: "recording" (``level`` is the microphone's peak, 0.0..1.0), "playing"
    (``level`` is what the headset plays), "done" (``verdict`` on the microphone's level)
    or "failed" (``message`` says why in plain words: a device missing, no sound heard, a
    call in progress...). ``elapsed`` is seconds into the phase; ``microphone`` and
    ``speaker`` name the devices tested. ``message`` is the sentence for the agent.
    """

    phase: AudioTestPhase
    level: float = 0.0
    elapsed: float = 0.0
    seconds: float = 0.0
    verdict: MaybeVerdict = ""
    message: str = ""
    microphone: str = ""
    speaker: str = ""


@dataclass(frozen=True)
class MicrophoneCheck:
    """The microphone's level in the first seconds of a connected call.

    One report per call once judged ("ok", "silent" or "clipping"); after a warning, an
    "ok" follows when the microphone sounds right again. ``message`` is the sentence
    for the agent.
    """

    call_id: str
    verdict: MicVerdict
    message: str


@dataclass(frozen=True)
class DtmfReceived:
    call_id: str
    digit: str


@dataclass(frozen=True)
class TransferResult:
    call_id: str
    success: bool
    code: int = 0
    reason: str = ""


@dataclass(frozen=True)
class EngineError:
    """Something went wrong inside the engine.

    ``kind`` says how to show it: "user" as written to the agent, "environment" as a
    state that is being retried, "bug" in the error dialog with ``details``.
    """

    kind: ErrorKind
    message: str
    details: str = ""


Event: TypeAlias = (
    EngineReady
    | Configured
    | RegistrationChanged
    | IncomingCall
    | CallStateChanged
    | MediaStateChanged
    | MuteChanged
    | AudioLevels
    | StreamStats
    | DevicesChanged
    | AudioDeviceSwitched
    | AudioTestProgress
    | MicrophoneCheck
    | DtmfReceived
    | TransferResult
    | EngineError
)

Message: TypeAlias = Command | Event

_MESSAGE_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls
    for cls in (*get_args(Command), *get_args(Event))
}
_VALUE_TYPES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (RemoteParty, AccountConfig, EngineConfig)
}


# --------------------------------------------------------------------------- codec


def encode(message: Message) -> bytes:
    """One message as one JSON line, newline included."""
    body = {"type": type(message).__name__, **dataclasses.asdict(message)}
    return json.dumps(body, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes | str) -> Message:
    """Parse one line into its message, checking every field's type."""
    if len(line) > MAX_LINE_BYTES:
        raise ProtocolError(f"message of {len(line)} bytes is too long")
    try:
        raw = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ProtocolError(f"not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise ProtocolError("message is not an object")
    name = raw.pop("type", None)
    cls = _MESSAGE_TYPES.get(name) if isinstance(name, str) else None
    if cls is None:
        raise ProtocolError(f"unknown message type {name!r}")
    message: Message = _build(cls, raw)
    return message


def _build(cls: type[Any], raw: Any) -> Any:
    if not isinstance(raw, dict):
        raise ProtocolError(f"{cls.__name__} must be an object")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = set(raw) - set(fields)
    if unknown:
        raise ProtocolError(f"{cls.__name__} has unknown fields {sorted(unknown)}")
    values = {name: _convert(hints[name], raw[name], f"{cls.__name__}.{name}")
              for name in fields if name in raw}
    try:
        return cls(**values)
    except TypeError as exc:
        raise ProtocolError(str(exc)) from None


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin is Literal:
        if value not in get_args(hint):
            raise ProtocolError(f"{where}: {value!r} is not one of {get_args(hint)}")
        return value
    if origin is list:
        (item_hint,) = get_args(hint)
        if not isinstance(value, list):
            raise ProtocolError(f"{where}: expected a list")
        return [_convert(item_hint, item, where) for item in value]
    if origin in (typing.Union, types.UnionType):
        for option in get_args(hint):
            try:
                return _convert(option, value, where)
            except ProtocolError:
                continue
        raise ProtocolError(f"{where}: {value!r} does not match {hint}")
    if isinstance(hint, type) and hint.__name__ in _VALUE_TYPES:
        return _build(hint, value)
    return _check_scalar(hint, value, where)


def _check_scalar(hint: Any, value: Any, where: str) -> Any:
    if hint is float and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, bool):
        raise ProtocolError(f"{where}: expected int, got bool")
    if hint in (str, int, bool) and isinstance(value, hint):
        return value
    raise ProtocolError(f"{where}: expected {getattr(hint, '__name__', hint)}, got {value!r}")

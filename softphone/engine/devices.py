"""Audio device listing and resolution by name.

Resolution is pure logic over a device list (any thread); ``query``, ``probe`` and
``refresh`` call sounddevice and run on the main (pjsua) thread.

A device can be listed and still unusable: PortAudio's list is a snapshot, and an ALSA
PCM that points at a sound-server sink stays listed after the sink is gone. So the
engine also *probes* a device (opens and closes a stream) before counting on it, and
``candidates`` skips the names that failed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

Kind = Literal["input", "output"]


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    max_inputs: int
    max_outputs: int

    def has(self, kind: Kind) -> bool:
        return (self.max_inputs if kind == "input" else self.max_outputs) > 0


@dataclass(frozen=True)
class Resolved:
    """The device to open (``index`` None: none usable) and what to tell the agent."""

    index: int | None
    name: str
    warning: str = ""


@dataclass(frozen=True)
class DeviceList:
    devices: tuple[DeviceInfo, ...]
    default_input: int | None
    default_output: int | None

    def names(self, kind: Kind) -> list[str]:
        return [d.name for d in self.devices if d.has(kind)]

    def default(self, kind: Kind) -> int | None:
        return self.default_input if kind == "input" else self.default_output


def portaudio() -> Any:
    """The ``sounddevice`` module, imported on first use so that the engine still runs
    (without audio) where PortAudio is missing (main thread)."""
    import sounddevice

    return sounddevice


def parse_devices(
    raw: Iterable[Mapping[str, Any]], default_in: int, default_out: int
) -> DeviceList:
    """Build a DeviceList from ``sounddevice.query_devices()`` style dicts."""
    devices = tuple(
        DeviceInfo(
            index=i,
            name=str(d.get("name", "")),
            max_inputs=int(d.get("max_input_channels", 0)),
            max_outputs=int(d.get("max_output_channels", 0)),
        )
        for i, d in enumerate(raw)
    )

    def valid(index: int, kind: Kind) -> int | None:
        ok = 0 <= index < len(devices) and devices[index].has(kind)
        return index if ok else None

    return DeviceList(devices, valid(default_in, "input"), valid(default_out, "output"))


def resolve(requested: str, devices: DeviceList, kind: Kind, role: str) -> Resolved:
    """Find ``requested`` by exact name, then case-insensitively; else fall back.

    The fallback is the system default device, else the first device of that kind.
    ``role`` ("Microphone", "Speaker", "Ringer") words the warning.
    """
    usable = [d for d in devices.devices if d.has(kind)]
    wanted = requested.strip()
    if wanted:
        for match in (
            [d for d in usable if d.name == wanted],
            [d for d in usable if d.name.casefold() == wanted.casefold()],
        ):
            if match:
                return Resolved(match[0].index, match[0].name)
    fallback = _fallback(usable, devices.default(kind))
    if fallback is None:
        what = "microphone" if kind == "input" else "speaker or headset"
        return Resolved(None, "", f"No {what} is connected.")
    if not wanted:
        return Resolved(fallback.index, fallback.name)
    warning = f'{role} "{wanted}" is not connected; using "{fallback.name}" instead.'
    return Resolved(fallback.index, fallback.name, warning)


ROLE_WORDS = {"microphone": "Microphone", "speaker": "Headset", "ringer": "Ringer"}


def candidates(
    requested: str,
    fallbacks: Iterable[str],
    devices: DeviceList,
    kind: Kind,
    unusable: Iterable[str] = (),
) -> list[DeviceInfo]:
    """Devices of ``kind`` in the agent's order of preference, usable ones only.

    The chosen device first (the system default when none is chosen), then the fallback
    list, then the system default, then the rest of the list, each matched by exact
    name, else case-insensitively; devices of the other kind and names in ``unusable``
    are left out, and none appears twice.
    """
    usable = [d for d in devices.devices if d.has(kind)]
    broken = {name.casefold() for name in unusable}
    ordered: list[DeviceInfo] = []

    def add(device: DeviceInfo | None) -> None:
        if device is not None and device not in ordered and device.name.casefold() not in broken:
            ordered.append(device)

    default = devices.default(kind)
    system_default = [next((d for d in usable if d.index == default), None),
                      _by_name(usable, "default")]
    if not requested.strip():  # the agent chose the system default itself
        for device in system_default:
            add(device)
    for wanted in (requested, *fallbacks):
        add(_by_name(usable, wanted))
    for device in (*system_default, *usable):
        add(device)
    return ordered


def find(devices: DeviceList, name: str, kind: Kind) -> DeviceInfo | None:
    """The device of ``kind`` called ``name`` (exactly, else case-insensitively)."""
    return _by_name([d for d in devices.devices if d.has(kind)], name)


def _by_name(usable: list[DeviceInfo], name: str) -> DeviceInfo | None:
    wanted = name.strip()
    if not wanted:
        return None
    for device in usable:
        if device.name == wanted:
            return device
    for device in usable:
        if device.name.casefold() == wanted.casefold():
            return device
    return None


def same_device(a: str, b: str) -> bool:
    """Whether two device names mean the same device (names are matched loosely)."""
    return a.strip().casefold() == b.strip().casefold()


def parse_names(text: str) -> list[str]:
    """A comma-separated list of device names, blanks dropped."""
    return [name.strip() for name in text.split(",") if name.strip()]


def _fallback(usable: list[DeviceInfo], default: int | None) -> DeviceInfo | None:
    for device in usable:
        if device.index == default:
            return device
    named_default = [d for d in usable if d.name.casefold() == "default"]
    if named_default:
        return named_default[0]
    return usable[0] if usable else None


def query() -> DeviceList:
    """The current device list from PortAudio (main thread)."""
    try:
        sd = portaudio()
        raw = sd.query_devices()
        default_in, default_out = (int(x) for x in sd.default.device)
    except Exception:  # PortAudio not usable at all
        return DeviceList((), None, None)
    if default_in < 0:
        default_in = _default_index(sd, "input")
    if default_out < 0:
        default_out = _default_index(sd, "output")
    return parse_devices(list(raw), default_in, default_out)


def _default_index(sd: Any, kind: Kind) -> int:
    try:
        return int(sd.query_devices(kind=kind)["index"])
    except Exception:
        return -1


def probe(index: int, kind: Kind, rate: int) -> str:
    """Open and close a stream on device ``index``; "" if it works, else why (main thread).

    Opening is where PortAudio's ALSA layer asks the sound server for the stream, so a
    listed device whose sink is gone fails here in a few milliseconds.
    """
    try:
        sd = portaudio()
        cls = sd.RawInputStream if kind == "input" else sd.RawOutputStream
        stream = cls(device=index, samplerate=rate, channels=1, dtype="int16")
        stream.close()
    except Exception as exc:
        return str(exc) or type(exc).__name__
    return ""


def refresh() -> None:
    """Make PortAudio re-read the device list; closes every open stream (main thread)."""
    sd = portaudio()
    sd._terminate()
    sd._initialize()

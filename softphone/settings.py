"""The one settings schema, and settings read from layered TOML files.

Layers, later ones win: built-in defaults, the system-wide file IT deploys, the copy
of the provisioning document last fetched from ``provisioning.url`` (see
``softphone.provisioning``), the user's file in the profile. Every setting has a dotted
name (``sip.uri``), a type, a default and a description; ``softphone config list``
prints them. Imports no Qt.

The two administrator layers may lock settings with a top-level ``lock`` list of names
or section patterns (``lock = ["sip.uri", "crm.*"]``): a locked setting ignores the
user's file and cannot be changed, from the settings dialog or the command line. Their
text values may hold placeholders filled in for each agent: ``${login}`` (the login
name) and ``${hostname}`` (the computer's short name).
"""

from __future__ import annotations

import fnmatch
import getpass
import logging
import socket
import string
import threading
import tomllib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import tomli_w

from softphone.errors import UserFacingError
from softphone.paths import Profile, system_settings_file

log = logging.getLogger(__name__)

SettingValue = str | int | bool


@dataclass(frozen=True)
class Setting:
    name: str
    type: type[SettingValue]
    default: SettingValue
    description: str
    choices: tuple[SettingValue, ...] = ()
    minimum: int | None = None
    maximum: int | None = None

    @property
    def section(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        return self.name.split(".", 1)[1]

    def validate(self, value: Any) -> SettingValue:
        """Return ``value`` as this setting's type, or raise ``UserFacingError``."""
        if self.type is bool:
            if not isinstance(value, bool):
                raise UserFacingError(f"{self.name} must be true or false, not {value!r}")
        elif self.type is int:
            if isinstance(value, bool) or not isinstance(value, int):
                raise UserFacingError(f"{self.name} must be a whole number, not {value!r}")
            if self.minimum is not None and value < self.minimum:
                raise UserFacingError(f"{self.name} must be at least {self.minimum}")
            if self.maximum is not None and value > self.maximum:
                raise UserFacingError(f"{self.name} must be at most {self.maximum}")
        elif not isinstance(value, str):
            raise UserFacingError(f"{self.name} must be text, not {value!r}")
        if self.choices and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise UserFacingError(f"{self.name} must be one of: {allowed}")
        return value  # type: ignore[no-any-return]

    def parse(self, text: str) -> SettingValue:
        """Parse a value typed on the command line."""
        if self.type is bool:
            lowered = text.strip().lower()
            if lowered in ("true", "yes", "on", "1"):
                return True
            if lowered in ("false", "no", "off", "0"):
                return False
            raise UserFacingError(f"{self.name} must be true or false, not {text!r}")
        if self.type is int:
            try:
                return self.validate(int(text.strip()))
            except ValueError:
                raise UserFacingError(f"{self.name} must be a whole number, not {text!r}") from None
        return self.validate(text)


SCHEMA: tuple[Setting, ...] = (
    Setting("sip.uri", str, "", "Your SIP address, e.g. sip:1001@pbx.example.com"),
    Setting("sip.registrar", str, "", "Registrar, e.g. sip:pbx.example.com (empty: from sip.uri)"),
    Setting("sip.username", str, "", "Authentication user name (empty: user part of sip.uri)"),
    Setting("sip.display_name", str, "", "Name shown to the people you call"),
    Setting("sip.transport", str, "udp", "SIP transport", choices=("udp", "tcp", "tls")),
    Setting("sip.proxy", str, "", "Outbound proxy URI (optional)"),
    Setting("sip.stun", str, "", "STUN server host:port (optional)"),
    Setting("sip.local_port", int, 0, "Local SIP port (0: any free port)", minimum=0,
            maximum=65535),
    Setting("sip.tls_verify", bool, True, "Verify the server's TLS certificate"),
    Setting("sip.ca_file", str, "", "CA bundle for TLS (empty: the system's bundle)"),
    Setting("sip.register_retry_seconds", int, 5,
            "Seconds before retrying a failed registration", minimum=1, maximum=3600),
    Setting("sip.register_expires_seconds", int, 300, "Registration lifetime in seconds",
            minimum=30, maximum=86400),
    Setting("sip.rtp_port", int, 4000, "First local RTP port", minimum=1024, maximum=65000),
    Setting("sip.dtmf_method", str, "rfc4733", "How key presses are sent during a call",
            choices=("rfc4733", "info")),
    Setting("sip.trace", bool, False, "Write SIP messages to the log (passwords removed)"),
    Setting("audio.microphone", str, "", "Microphone device name (empty: system default)"),
    Setting("audio.speaker", str, "", "Headset/speaker device name (empty: system default)"),
    Setting("audio.ringer", str, "", "Device the ringtone plays on (empty: system default)"),
    Setting("audio.sample_rate", int, 16000, "Audio sample rate in Hz", choices=(16000, 48000)),
    Setting("audio.fallback_devices", str, "",
            "Devices to use, in order, when the chosen microphone or headset is missing "
            "(comma-separated names; the system default comes last)"),
    Setting("audio.return_to_headset", bool, True,
            "Move the audio back to the chosen headset when it is plugged in again"),
    Setting("audio.ring_on", str, "ringer", "Where incoming calls ring",
            choices=("ringer", "headset", "both")),
    Setting("audio.ring_volume", int, 80, "Ringtone volume in percent", minimum=0,
            maximum=100),
    Setting("audio.ringtone", str, "", "Ringtone WAV file (empty: the built-in ringtone)"),
    Setting("audio.key_account_ringtone", str, "",
            "Ringtone for calls from key-account customers (empty: a built-in distinct tone)"),
    Setting("headset.buttons", bool, True,
            "Use the headset's call buttons and lights (USB HID telephony)"),
    Setting("headset.device", str, "",
            "Headset whose buttons are used, by product name (empty: the one matching the "
            "chosen audio device, else the first found)"),
    Setting("calls.auto_answer_seconds", int, -1,
            "Answer incoming calls automatically after this many seconds (-1: off)",
            minimum=-1, maximum=600),
    Setting("calls.default_region", str, "US", "Country for numbers dialled without a prefix"),
    Setting("crm.url", str, "",
            "Address of the CRM connector API, e.g. https://crm.example.com (empty: no CRM)"),
    Setting("crm.ca_file", str, "", "CA bundle for the CRM's HTTPS (empty: the system's)"),
    Setting("crm.timeout_seconds", int, 10, "Give up on a CRM request after this many seconds",
            minimum=1, maximum=120),
    Setting("sync.interval_seconds", int, 60, "Fetch changes from the CRM this often",
            minimum=5, maximum=86400),
    Setting("cache.regions", str, "",
            "Keep only customers of these regions on this computer (comma-separated; "
            "empty: all)"),
    Setting("cache.retention_days", int, 30,
            "Remove a cached customer the CRM has not confirmed for this many days, and "
            "records sent to the CRM this many days after sending",
            minimum=1, maximum=3650),
    Setting("screenpop.when", str, "ring", "When the caller's customer card appears",
            choices=("ring", "answer", "off")),
    Setting("screenpop.url_template", str, "",
            "Web page opened for each call, e.g. https://crm.example.com/c/{customer_id} "
            "(placeholders: {number}, {e164}, {customer_id}, {display_name}; empty: none)"),
    Setting("screenpop.command", str, "",
            "Program run for each call with the number, E.164 number, customer id and "
            "display name as its arguments (empty: none)"),
    Setting("agent.busy_action", str, "decline",
            "Calls arriving while you are not Available: decline them (busy) or let them ring",
            choices=("decline", "ring")),
    Setting("wrapup.seconds", int, 60,
            "Wrap-up time after each call before you are Available again (0: until you "
            "finish it)", minimum=0, maximum=3600),
    Setting("wrapup.dispositions", str,
            "Order taken,Information given,Complaint,Callback requested,Transferred,"
            "Wrong number",
            "The outcomes offered when wrapping up a call (comma-separated)"),
    Setting("orders.offer_minimum", int, 3,
            "How many extra products to offer before an order can be closed",
            minimum=0, maximum=10),
    Setting("customers.dormant_months", int, 6,
            "Customers with no order for this many months are listed for a call",
            minimum=1, maximum=60),
    Setting("app.start_at_login", bool, False, "Start Softphone when you log in"),
    Setting("app.start_minimised", bool, False,
            "Start in the tray (or minimised where there is no tray)"),
    Setting("log.level", str, "info", "How much the log records",
            choices=("debug", "info", "warning", "error")),
    Setting("provisioning.url", str, "",
            "HTTPS address of the settings IT provides for every agent (empty: none)"),
    Setting("provisioning.ca_file", str, "",
            "CA bundle for the provisioning address (empty: the system's)"),
)

#: The top-level key of an administrator layer listing what the agent cannot change.
LOCK_KEY = "lock"
Source = Literal["user", "provisioned", "system", "default"]

_BY_NAME: dict[str, Setting] = {s.name: s for s in SCHEMA}


def setting(name: str) -> Setting:
    try:
        return _BY_NAME[name]
    except KeyError:
        raise UserFacingError(f"there is no setting called {name!r}") from None


@dataclass(frozen=True)
class LayerProblem:
    """A settings file or value that was ignored, with why."""

    path: Path
    message: str


@dataclass(frozen=True)
class Layer:
    """One file's valid values, and (administrator layers only) what it locks."""

    values: dict[str, SettingValue] = field(default_factory=dict)
    locked: frozenset[str] = frozenset()


def placeholders() -> dict[str, str]:
    """The values ``${login}`` and ``${hostname}`` stand for on this computer."""
    try:
        login = getpass.getuser()
    except (OSError, KeyError):
        login = ""
    return {"login": login, "hostname": socket.gethostname().split(".")[0]}


class Settings:
    """The merged view of all layers. Thread-safe; listeners run on the writer's thread."""

    def __init__(self, user_file: Path, system_file: Path | None = None,
                 provisioned_file: Path | None = None) -> None:
        self.user_file = user_file
        self.system_file = system_file
        self.provisioned_file = provisioned_file
        self.problems: list[LayerProblem] = []
        self._lock = threading.RLock()
        self._system = Layer()
        self._provisioned = Layer()
        self._user: dict[str, SettingValue] = {}
        self._listeners: list[Callable[[str, SettingValue], None]] = []
        self.reload()

    def reload(self) -> None:
        """Read the files again; keep what is valid, record the rest in ``problems``."""
        problems: list[LayerProblem] = []
        system = read_admin_layer(self.system_file, problems)
        provisioned = read_admin_layer(self.provisioned_file, problems)
        user = Layer()
        if self.user_file.exists():
            user = _read_layer(self.user_file, problems, admin=False)
        with self._lock:
            old = self.as_dict()
            self._system, self._provisioned, self._user = system, provisioned, user.values
            self.problems = problems
        for name, value in self.as_dict().items():
            if old.get(name) != value:
                self._notify(name, value)

    def __getitem__(self, name: str) -> Any:
        spec = setting(name)
        with self._lock:
            source = self._source(name)
            if source == "user":
                return self._user[name]
            if source == "provisioned":
                return self._provisioned.values[name]
            if source == "system":
                return self._system.values[name]
        return spec.default

    def source(self, name: str) -> Source:
        """Which layer ``name`` comes from: "user", "provisioned", "system" or "default"."""
        setting(name)
        with self._lock:
            return self._source(name)

    def _source(self, name: str) -> Source:
        if name in self._user and not self._is_locked(name):
            return "user"
        if name in self._provisioned.values:
            return "provisioned"
        return "system" if name in self._system.values else "default"

    def locked(self, name: str) -> bool:
        """Whether IT has fixed ``name``: the agent cannot change it."""
        setting(name)
        with self._lock:
            return self._is_locked(name)

    def _is_locked(self, name: str) -> bool:
        return name in self._system.locked or name in self._provisioned.locked

    def as_dict(self) -> dict[str, SettingValue]:
        return {spec.name: self[spec.name] for spec in SCHEMA}

    def set(self, name: str, value: Any) -> None:
        """Validate and store ``value`` in the user's file."""
        spec = setting(name)
        checked = spec.validate(value)
        with self._lock:
            self._refuse_if_locked(name)
            self._user[name] = checked
            self._write_user_file()
        self._notify(name, checked)

    def reset(self, name: str) -> None:
        setting(name)
        with self._lock:
            self._refuse_if_locked(name)
            self._user.pop(name, None)
            self._write_user_file()
        self._notify(name, self[name])

    def _refuse_if_locked(self, name: str) -> None:
        if self._is_locked(name):
            raise UserFacingError(f"{name} is set by your administrator and cannot be "
                                  "changed here")

    def on_change(self, listener: Callable[[str, SettingValue], None]) -> None:
        self._listeners.append(listener)

    def _notify(self, name: str, value: SettingValue) -> None:
        for listener in list(self._listeners):
            listener(name, value)

    def _write_user_file(self) -> None:
        nested: dict[str, dict[str, SettingValue]] = {}
        for name, value in sorted(self._user.items()):
            spec = _BY_NAME[name]
            nested.setdefault(spec.section, {})[spec.key] = value
        self.user_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.user_file.with_suffix(".tmp")
        tmp.write_text(tomli_w.dumps(nested), encoding="utf-8")
        tmp.replace(self.user_file)


def open_settings(profile: Profile) -> Settings:
    """The settings of ``profile``: every layer, from the documented places."""
    return Settings(profile.settings_file, system_settings_file(), profile.provisioned_file)


def read_admin_layer(path: Path | None, problems: list[LayerProblem]) -> Layer:
    """An administrator's file (system-wide or provisioned); missing: an empty layer."""
    if path is None or not path.exists():
        return Layer()
    return _read_layer(path, problems, admin=True)


def parse_admin_text(text: str, path: Path) -> tuple[Layer, list[LayerProblem]]:
    """An administrator layer from TOML ``text`` (``path`` names it in problems);
    raises ``tomllib.TOMLDecodeError`` when it is not TOML at all."""
    problems: list[LayerProblem] = []
    return _layer_from(tomllib.loads(text), path, problems, admin=True), problems


def _read_layer(path: Path, problems: list[LayerProblem], *, admin: bool) -> Layer:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Layer()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        # tomllib names the line and column: "... (at line 3, column 7)".
        problems.append(LayerProblem(path, f"{path}: {exc}"))
        log.warning("Ignoring settings file %s: %s", path, exc)
        return Layer()
    return _layer_from(raw, path, problems, admin=admin)


def _layer_from(raw: Mapping[str, Any], path: Path, problems: list[LayerProblem], *,
                admin: bool) -> Layer:
    locked: frozenset[str] = frozenset()
    if admin:
        raw = dict(raw)
        locked = _locked_names(raw.pop(LOCK_KEY, []), path, problems)
    values = _flatten_layer(path, raw, problems)
    if admin:
        values = _fill_placeholders(values, path, problems)
    return Layer(values, locked)


def _locked_names(patterns: object, path: Path, problems: list[LayerProblem]
                  ) -> frozenset[str]:
    """The setting names matched by a ``lock`` list such as ``["sip.uri", "crm.*"]``."""
    if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
        problems.append(LayerProblem(path, f"{path}: {LOCK_KEY} must be a list of setting "
                                           "names"))
        return frozenset()
    names: set[str] = set()
    for pattern in patterns:
        matched = fnmatch.filter(_BY_NAME, pattern)
        if not matched:
            problems.append(LayerProblem(path, f"{path}: {LOCK_KEY}: no setting matches "
                                               f"{pattern!r}"))
        names.update(matched)
    return frozenset(names)


def _fill_placeholders(values: dict[str, SettingValue], path: Path,
                       problems: list[LayerProblem]) -> dict[str, SettingValue]:
    known = placeholders()
    filled: dict[str, SettingValue] = {}
    for name, value in values.items():
        if not (isinstance(value, str) and "${" in value):
            filled[name] = value
            continue
        try:
            filled[name] = setting(name).validate(string.Template(value).substitute(known))
        except (KeyError, ValueError, UserFacingError) as exc:
            problems.append(LayerProblem(
                path, f"{path}: {name}: unknown placeholder or bad value ({exc}); "
                      "known placeholders: ${login}, ${hostname}"))
    return filled


def _flatten_layer(
    path: Path, raw: Mapping[str, Any], problems: list[LayerProblem]
) -> dict[str, SettingValue]:
    values: dict[str, SettingValue] = {}
    for name, value in _walk(raw):
        try:
            values[name] = setting(name).validate(value)
        except UserFacingError as exc:
            problems.append(LayerProblem(path, f"{path}: {exc}"))
            log.warning("Ignoring %s in %s: %s", name, path, exc)
    return values


def _walk(raw: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _walk(value, f"{name}.")
        else:
            yield name, value

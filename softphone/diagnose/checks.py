"""The pre-shift checks, each a function of an ``Environment`` returning a ``CheckResult``.

Every check runs on its own daemon thread (see ``softphone.diagnose.run_checks``);
reads of the keyring and of the running app's status are shared through the
``Environment`` (one at a time, remembered). Nothing here prints or returns a secret.
Imports no Qt.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from softphone import control
from softphone.diagnose import Check, CheckResult, Outcome, Status, probes
from softphone.errors import UserFacingError
from softphone.paths import Profile
from softphone.secrets import CACHE_KEY, CRM_TOKEN, SIP_ACCOUNT, SecretStore
from softphone.settings import Settings
from softphone.targets import normalise_dial_target, uri_user

GIB = 1024 ** 3
MIB = 1024 ** 2
REGISTER_LIMIT = 10.0
MIC_SECONDS = 1.0
STALE_SYNC_SECONDS = 24 * 3600
CERT_WARN_DAYS = 14

_portaudio_lock = threading.Lock()
_portaudio_used = False
_NO_STATUS = object()


@dataclass
class Environment:
    """What the checks read: the profile, settings, keyring and the running app, if any.

    ``app_status`` returns the running app's ``status`` (None when no app runs); by default
    it asks over the control socket. Thread-safe: values are read once, under a lock.
    """

    profile: Profile
    settings: Settings
    secrets: SecretStore = field(default_factory=SecretStore)
    app_status: Callable[[], dict[str, Any] | None] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _secrets: dict[str, str | None] = field(default_factory=dict)
    _keyring: bool | None = None
    _status: Any = _NO_STATUS

    def keyring_available(self) -> bool:
        with self._lock:
            if self._keyring is None:
                self._keyring = self.secrets.available()
            return self._keyring

    def secret(self, name: str) -> str | None:
        if not self.keyring_available():
            return None
        with self._lock:
            if name not in self._secrets:
                self._secrets[name] = self.secrets.get(name)
            return self._secrets[name]

    def running_app(self) -> dict[str, Any] | None:
        """The running app's status, or None when no app runs for this profile."""
        with self._lock:
            if self._status is _NO_STATUS:
                self._status = self._read_status()
            status: dict[str, Any] | None = self._status
            return status

    def _read_status(self) -> dict[str, Any] | None:
        if self.app_status is not None:
            return self.app_status()
        try:
            answer = control.send_request(self.profile, {"command": "status"}, timeout=3.0)
        except (control.NotRunning, UserFacingError, OSError):
            return None
        return answer if isinstance(answer, dict) else None

    def setting(self, name: str) -> Any:
        return self.settings[name]


def all_checks(env: Environment) -> list[Check]:
    """Every check, in report order, bound to ``env``."""
    table: list[tuple[str, str, Callable[[Environment], CheckResult | Outcome], float]] = [
        ("configuration", "Configuration", check_configuration, 5),
        ("keyring", "Keyring", check_keyring, 10),
        ("audio_devices", "Audio devices", check_audio_devices, 10),
        ("microphone", "Microphone level", check_microphone, 8),
        ("sip_server", "SIP server", check_sip_server, 8),
        ("registration", "Registration", check_registration, 20),
        ("tls_certificate", "TLS certificate", check_tls, 10),
        ("nat", "NAT (STUN)", check_nat, 6),
        ("crm", "CRM", check_crm, 12),
        ("cache", "Customer cache", check_cache, 8),
        ("disk", "Free disk", check_disk, 5),
    ]
    return [Check(name, title, _bound(function, env), timeout)
            for name, title, function, timeout in table]


def _bound(function: Callable[[Environment], CheckResult | Outcome], env: Environment
           ) -> Callable[[], CheckResult | Outcome]:
    return lambda: function(env)


def ok(message: str, **details: Any) -> Outcome:
    return Outcome("ok", message, **details)


def warning(message: str, **details: Any) -> Outcome:
    return Outcome("warning", message, **details)


def failed(message: str, **details: Any) -> Outcome:
    return Outcome("failed", message, **details)


def skipped(message: str, **details: Any) -> Outcome:
    return Outcome("skipped", message, **details)


# ------------------------------------------------------------------ configuration


def uri_problem(name: str, value: str, need_user: bool) -> str:
    """Why ``value`` is not a usable SIP address for setting ``name`` ("" if it is). Pure."""
    text = value.strip()
    candidate = text if text.lower().startswith(("sip:", "sips:")) else f"sip:{text}"
    if need_user and not text.lower().startswith(("sip:", "sips:")):
        return f"{name} must start with sip: (e.g. sip:1001@pbx.example.com)"
    try:
        normalise_dial_target(candidate)
    except UserFacingError:
        return f"{name} is not a valid SIP address: {text[:80]!r}"
    if need_user and not uri_user(candidate):
        return f"{name} has no user part (e.g. sip:1001@pbx.example.com)"
    return ""


def check_configuration(env: Environment) -> Outcome:
    problems = [p.message for p in env.settings.problems]
    uri = str(env.setting("sip.uri")).strip()
    errors = []
    if not uri:
        errors.append("no SIP address is set (sip.uri)")
    else:
        errors.append(uri_problem("sip.uri", uri, need_user=True))
    for name in ("sip.registrar", "sip.proxy"):
        value = str(env.setting(name)).strip()
        if value:
            errors.append(uri_problem(name, value, need_user=False))
    errors = [e for e in errors if e]
    details = {"sip_uri": uri, "transport": env.setting("sip.transport"),
               "problems": problems, "errors": errors}
    if errors:
        return failed("; ".join(errors + problems), **details)
    if problems:
        return warning(f"settings ignored: {'; '.join(problems)}", **details)
    return ok(f"{uri} over {str(env.setting('sip.transport')).upper()}", **details)


# ------------------------------------------------------------------ keyring


def check_keyring(env: Environment) -> Outcome:
    if not env.keyring_available():
        return failed("no keyring is available: passwords cannot be kept on this computer")
    wanted = [("SIP password", SIP_ACCOUNT, bool(str(env.setting("sip.uri")).strip()),
               "softphone credentials set sip"),
              ("CRM token", CRM_TOKEN, bool(str(env.setting("crm.url")).strip()),
               "softphone credentials set crm")]
    missing, present = [], []
    for words, name, needed, command in wanted:
        if not needed:
            continue
        if env.secret(name):
            present.append(words)
        else:
            missing.append(f"no {words} in the keyring (set it with: {command})")
    details = {"available": True, "stored": present}
    if missing:
        return failed("; ".join(missing), **details)
    stored = " and ".join(present)
    return ok(f"works; {stored} stored" if stored else "works", **details)


# ------------------------------------------------------------------ audio


def _device_list() -> Any:
    """PortAudio's device list, re-read when this process looked before. Caller holds
    ``_portaudio_lock``."""
    from softphone.engine import devices

    global _portaudio_used
    if _portaudio_used:
        with contextlib.suppress(Exception):
            devices.refresh()
    _portaudio_used = True
    return devices.query()


@dataclass(frozen=True)
class Choice:
    role: str
    wanted: str
    index: int | None
    name: str
    warning: str
    tried: tuple[str, ...] = ()


def choose(env: Environment, role: str, device_list: Any, probe: bool = True) -> Choice:
    """The device the app would use for ``role`` (microphone, speaker, ringer), following
    the engine's rules: the chosen one, the fallbacks, the system default; devices that
    fail to open are passed over. Caller holds ``_portaudio_lock``."""
    from softphone.engine import devices

    kind: devices.Kind = "input" if role == "microphone" else "output"
    wanted = str(env.setting(f"audio.{role}")).strip()
    fallbacks = devices.parse_names(str(env.setting("audio.fallback_devices")))
    rate = int(env.setting("audio.sample_rate"))
    broken: list[str] = []
    for device in devices.candidates(wanted, fallbacks, device_list, kind):
        problem = devices.probe(device.index, kind, rate) if probe else ""
        if problem:
            broken.append(f"{device.name} ({problem})")
            continue
        words = devices.ROLE_WORDS[role]
        note = ""
        if wanted and not devices.same_device(wanted, device.name):
            note = f'{words} "{wanted}" is not connected; the app will use "{device.name}"'
        return Choice(role, wanted, device.index, device.name, note, tuple(broken))
    what = {"microphone": "microphone", "speaker": "headset or speaker",
            "ringer": "ringer"}[role]
    named = f' "{wanted}"' if wanted else ""
    return Choice(role, wanted, None, "", f"no usable {what}{named} is connected",
                  tuple(broken))


def check_audio_devices(env: Environment) -> Outcome:
    with _portaudio_lock:
        device_list = _device_list()
        if not device_list.devices:
            return failed("no sound devices found (is the sound system running?)")
        choices = [choose(env, role, device_list) for role in ("microphone", "speaker",
                                                               "ringer")]
    details = {"inputs": device_list.names("input"), "outputs": device_list.names("output"),
               **{c.role: {"wanted": c.wanted, "using": c.name, "unusable": list(c.tried)}
                  for c in choices}}
    missing = [c for c in choices if c.index is None]
    notes = [c.warning for c in choices if c.warning]
    if missing:
        return failed("; ".join(notes), **details)
    used = (f'microphone "{choices[0].name}", headset "{choices[1].name}", '
            f'ringer "{choices[2].name}"')
    if notes:
        return warning(f"{'; '.join(notes)} ({used})", **details)
    return ok(used, **details)


def level_words(samples: Any) -> tuple[Status, str, dict[str, float]]:
    """(status, words, details) for ``samples`` (float -1..1 or 16-bit). Pure, any thread.

    The agent is not asked to speak during the check, so only silence and clipping
    count, as in the in-call check.
    """
    from softphone import audiolevel  # numpy: loaded only when the microphone is checked

    if len(samples) == 0:
        return "failed", "the microphone gave no sound data", {}
    report = audiolevel.judge(samples, speech_expected=False)
    details = {"rms_dbfs": report.rms_dbfs, "peak_dbfs": report.peak_dbfs,
               "clipped_share": report.clipped_share}
    if report.verdict == "silent":
        return ("warning", "the microphone is silent: check that it is plugged in and not "
                           "muted", details)
    if report.verdict == "clipping":
        return ("warning", f"the microphone is too loud and clips "
                           f"({report.clipped_share:.1%} of the sound at full scale): turn "
                           "its gain down", details)
    return ("ok", f"sound heard (level {report.rms_dbfs:.0f} dBFS, peak "
                  f"{report.peak_dbfs:.0f} dBFS)", details)


def check_microphone(env: Environment) -> Outcome:
    with _portaudio_lock:
        device_list = _device_list()
        choice = choose(env, "microphone", device_list, probe=False)
        if choice.index is None:
            return failed(choice.warning)
        from softphone.engine import devices

        sd = devices.portaudio()
        rate = int(env.setting("audio.sample_rate"))
        frames = int(rate * MIC_SECONDS)
        skip = int(rate * 0.1)  # the first 100 ms may hold the device's start-up click
        try:
            with sd.InputStream(device=choice.index, channels=1, samplerate=rate,
                                dtype="float32") as stream:
                data, _overflowed = stream.read(frames + skip)
        except Exception as exc:
            return failed(f'cannot record from "{choice.name}" ({exc})', device=choice.name)
    status, words, details = level_words(data[skip:])
    return Outcome(status, f'"{choice.name}": {words}', device=choice.name, **details)


# ------------------------------------------------------------------ SIP server


def _hop(env: Environment) -> probes.Hop:
    uri = str(env.setting("sip.uri")).strip()
    if not uri:
        raise skipped("no SIP address is set")
    try:
        return probes.first_hop(uri, str(env.setting("sip.registrar")).strip(),
                                str(env.setting("sip.proxy")).strip(),
                                str(env.setting("sip.transport")))
    except probes.ProbeError as exc:
        raise failed(str(exc)) from None


def resolve(hop: probes.Hop) -> tuple[list[str], float]:
    """The server's addresses and how long DNS took; ``Outcome`` failed when none."""
    started = time.monotonic()
    kind = socket.SOCK_DGRAM if hop.transport == "udp" else socket.SOCK_STREAM
    try:
        infos = socket.getaddrinfo(hop.host, hop.port, type=kind)
    except socket.gaierror as exc:
        raise failed(f"cannot find the SIP server {hop.host} in DNS ({exc.strerror})",
                     host=hop.host) from None
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    return addresses, time.monotonic() - started


def check_sip_server(env: Environment) -> Outcome:
    hop = _hop(env)
    addresses, dns_seconds = resolve(hop)
    address = addresses[0]
    details: dict[str, Any] = {"host": hop.host, "port": hop.port, "transport": hop.transport,
                               "addresses": addresses, "dns_ms": round(dns_seconds * 1000, 1)}
    from_uri = str(env.setting("sip.uri")).strip()
    shown = hop.where if hop.host == address else f"{hop.where} ({address})"
    try:
        if hop.transport == "udp":
            answer = probes.sip_options_udp(hop, address, from_uri)
            details.update(code=answer.code, rtt_ms=round(answer.seconds * 1000, 1))
            return ok(f"{shown} answered over UDP in {answer.seconds * 1000:.0f} ms "
                      f"({answer.code} {answer.reason})".rstrip(), **details)
        sock, connect_seconds = probes.tcp_connect(hop, address)
    except probes.ProbeError as exc:
        return failed(str(exc), **details)
    with sock:
        details["connect_ms"] = round(connect_seconds * 1000, 1)
        words = f"{shown} accepts {hop.transport.upper()} connections " \
                f"(connected in {connect_seconds * 1000:.0f} ms)"
        if hop.transport == "tcp":
            answer_or_none = probes.sip_options_stream(sock, hop, from_uri)
            if answer_or_none is not None:
                details.update(code=answer_or_none.code,
                               rtt_ms=round(answer_or_none.seconds * 1000, 1))
                words += f", answered OPTIONS with {answer_or_none.code}"
    return ok(words, **details)


# ------------------------------------------------------------------ registration


_REASON_WORDS = {
    "authentication failed": "the server refused the SIP password (wrong password or user name)",
    "server unreachable": "the SIP server cannot be reached",
    "no password": "no SIP password in the keyring",
    "not configured": "no SIP address is set",
}


def registration_words(reason: str) -> str:
    return _REASON_WORDS.get(reason, reason or "not registered")


class _DiscardingWorker:
    """A history that keeps nothing: the check's phone makes no calls."""

    def submit(self, work: Callable[[Any], Any]) -> Future[Any]:
        future: Future[Any] = Future()
        future.set_result(None)
        return future


def check_registration(env: Environment) -> Outcome:
    if not str(env.setting("sip.uri")).strip():
        return skipped("no SIP address is set")
    status = env.running_app()
    if status is not None:
        return _running_registration(status)
    password = env.secret(SIP_ACCOUNT)
    if not password:
        return skipped("no SIP password in the keyring to register with")
    return register_once(env.settings, password, env.profile.log_dir / "diagnose-engine.log")


def _running_registration(status: dict[str, Any]) -> Outcome:
    registration = status.get("registration") or {}
    state = str(registration.get("state", ""))
    reason = str(registration.get("reason", ""))
    details = {"source": "running app", "state": state, "reason": reason,
               "code": registration.get("code")}
    if state == "registered":
        return ok("the running app is registered", **details)
    if state == "registering":
        return warning("the running app is still registering", **details)
    return failed(f"the running app is not registered: {registration_words(reason)}",
                  **details)


def register_once(settings: Settings, password: str, engine_log: Path,
                  limit: float = REGISTER_LIMIT) -> Outcome:
    """Start a phone engine with these settings, register, time it and stop it again.

    Runs on a check's thread; the engine is a child process, stopped before returning
    whatever happened. At most ``limit`` seconds of waiting for the registrar.
    """
    from softphone import protocol
    from softphone.phone import Phone, PhoneEvent
    from softphone.storage.history import CallHistory

    events: list[tuple[float, protocol.RegistrationChanged]] = []
    changed = threading.Condition()

    def on_event(event: PhoneEvent) -> None:
        if isinstance(event, protocol.RegistrationChanged):
            with changed:
                events.append((time.monotonic(), event))
                changed.notify_all()

    def final() -> protocol.RegistrationChanged | None:
        for _at, event in events:
            if event.state in ("registered", "failed"):
                return event
        return None

    engine_log.parent.mkdir(parents=True, exist_ok=True)
    phone = Phone(settings, CallHistory(_DiscardingWorker()), lambda: password,
                  engine_log_file=engine_log, quiet_engine=True)
    phone.subscribe(on_event)
    started = time.monotonic()
    try:
        phone.start()
        deadline = started + limit
        with changed:
            while final() is None and time.monotonic() < deadline:
                changed.wait(max(0.0, min(0.5, deadline - time.monotonic())))
            outcome = final()
            sending = next((at for at, e in events if e.state == "registering"), started)
    finally:
        phone.stop()
    total = (outcome_at(events, outcome) or time.monotonic()) - started
    details: dict[str, Any] = {"source": "test registration",
                               "total_ms": round(total * 1000, 1)}
    if outcome is None:
        return failed(f"no answer from the registrar within {limit:.0f} seconds", **details)
    details.update(state=outcome.state, reason=outcome.reason, code=outcome.code)
    if outcome.state == "registered":
        rtt = (outcome_at(events, outcome) or sending) - sending
        details["register_ms"] = round(rtt * 1000, 1)
        return ok(f"registered in {rtt * 1000:.0f} ms ({total:.1f} s with the engine's start)",
                  **details)
    return failed(registration_words(outcome.reason), **details)


def outcome_at(events: list[tuple[float, Any]], outcome: Any) -> float | None:
    return next((at for at, event in events if event is outcome), None)


# ------------------------------------------------------------------ TLS


def check_tls(env: Environment) -> Outcome:
    hop = _hop(env)
    if hop.transport != "tls":
        return skipped("SIP does not use TLS")
    verify = bool(env.setting("sip.tls_verify"))
    ca_file = str(env.setting("sip.ca_file")).strip()
    try:
        info = probes.tls_certificate(hop.host, hop.port, ca_file)
    except probes.ProbeError as exc:
        return failed(str(exc))
    details = info.as_json()
    details["checked_against"] = ca_file or "the system's certificate store"
    days = info.days_left()
    subject = info.subject or "unknown subject"
    issuer = info.issuer or "unknown issuer"
    described = f"{subject}, issued by {issuer}"
    if days is not None:
        described += f", expires in {days} days" if days >= 0 else ", expired"
    if not info.verified:
        words = f"the SIP server is not trusted: {info.problem} ({described})"
        if not verify:
            return warning(words + "; the app does not check it (sip.tls_verify is off)",
                           **details)
        return failed(words, **details)
    if days is not None and days < CERT_WARN_DAYS:
        return warning(f"the certificate expires soon ({described})", **details)
    return ok(f"trusted ({described})", **details)


# ------------------------------------------------------------------ NAT


def check_nat(env: Environment) -> Outcome:
    server = str(env.setting("sip.stun")).strip()
    if not server:
        return skipped("no STUN server is set (sip.stun)")
    try:
        host, port = probes.parse_host_port(server, probes.STUN_PORT)
        answer = probes.stun_binding(host, port)
    except ValueError:
        return failed(f"sip.stun is not host:port ({server[:80]!r})")
    except probes.ProbeError as exc:
        return failed(str(exc))
    details = {"local": f"{answer.local[0]}:{answer.local[1]}",
               "mapped": f"{answer.mapped[0]}:{answer.mapped[1]}",
               "behind_nat": answer.behind_nat, "rtt_ms": round(answer.seconds * 1000, 1)}
    if answer.behind_nat:
        return ok(f"behind NAT: this computer is {details['local']}, the internet sees "
                  f"{details['mapped']}", **details)
    return ok(f"not behind NAT (address {details['mapped']})", **details)


# ------------------------------------------------------------------ CRM


def check_crm(env: Environment) -> Outcome:
    url = str(env.setting("crm.url")).strip()
    if not url:
        return skipped("no CRM is set (crm.url)")
    token = env.secret(CRM_TOKEN)
    if not token:
        return failed("no CRM token in the keyring (set it with: softphone credentials set crm)")
    from softphone.crm.client import (
        CrmAuthFailed,
        CrmClient,
        CrmError,
        CrmRejected,
    )

    timeout = min(float(env.setting("crm.timeout_seconds")), 8.0)
    started = time.monotonic()
    try:
        with CrmClient(url, token, timeout=timeout,
                       ca_file=str(env.setting("crm.ca_file"))) as client:
            client.changes(None, limit=1)
    except CrmAuthFailed:
        return failed("the CRM refused the token (set a new one with: softphone credentials "
                      "set crm)", url=url, code=401)
    except CrmRejected as exc:
        return failed(f"the CRM refused the request ({exc.status}: {exc})", url=url,
                      code=exc.status)
    except CrmError as exc:
        return failed(str(exc), url=url)
    except (OSError, ValueError) as exc:  # a CA file that cannot be read, a bad URL
        return failed(f"cannot use the CRM at {url} ({exc})", url=url)
    seconds = time.monotonic() - started
    return ok(f"the token works ({seconds * 1000:.0f} ms)", url=url,
              rtt_ms=round(seconds * 1000, 1))


# ------------------------------------------------------------------ cache


def human_size(size: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GB"


def human_age(seconds: float) -> str:
    if seconds < 90:
        return "just now"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes ago"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.0f} hours ago"
    return f"{seconds / 86400:.0f} days ago"


def read_last_sync(path: Path, key_hex: str) -> float | None:
    """The last successful sync time kept in the cache file (epoch seconds), read with
    the key; nothing is written. Raises ``sqlcipher3`` errors when it cannot be read."""
    import sqlcipher3

    connection = sqlcipher3.connect(str(path), timeout=3.0)
    try:
        connection.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        connection.execute("PRAGMA query_only = 1")
        row = connection.execute("SELECT last_success FROM sync_state WHERE id = 1").fetchone()
    finally:
        connection.close()
    return float(row[0]) if row and row[0] is not None else None


def _last_sync(env: Environment, path: Path) -> tuple[float | None, str]:
    """(last sync epoch, where it came from); never creates or moves the cache."""
    status = env.running_app()
    if status is not None and isinstance(status.get("sync"), dict):
        text = status["sync"].get("last_success")
        if text:
            return datetime.fromisoformat(str(text)).timestamp(), "running app"
        return None, "running app"
    key = env.secret(CACHE_KEY)
    if not key or not path.exists():
        return None, "unknown"
    try:
        return read_last_sync(path, key), "cache file"
    except Exception:
        return None, "unreadable"


def check_cache(env: Environment) -> Outcome:
    from softphone.cache.files import cache_files

    path = env.profile.cache_file
    size = sum(f.stat().st_size for f in cache_files(path, aside=False) if f.exists())
    crm = bool(str(env.setting("crm.url")).strip())
    if not path.exists():
        if crm:
            return warning("no customer cache yet: the app has not synced with the CRM")
        return skipped("no customer cache (no CRM is set)")
    last, source = _last_sync(env, path)
    details: dict[str, Any] = {"path": str(path), "size_bytes": size, "last_sync_source": source,
                               "last_sync": (datetime.fromtimestamp(last, UTC).isoformat()
                                             if last else None)}
    words = human_size(size)
    if last is None:
        if not crm:
            return ok(f"{words} (no CRM is set)", **details)
        if source == "unreadable":
            return warning(f"{words}; the last sync time cannot be read", **details)
        if source == "unknown":
            return warning(f"{words}; the last sync time is unknown (no cache key in the "
                           "keyring)", **details)
        return warning(f"{words}; never synced with the CRM", **details)
    age = time.time() - last
    details["age_seconds"] = round(age)
    if crm and age > STALE_SYNC_SECONDS:
        return warning(f"{words}; last synced {human_age(age)}", **details)
    return ok(f"{words}; last synced {human_age(age)}", **details)


# ------------------------------------------------------------------ disk


def check_disk(env: Environment) -> Outcome:
    folder = env.profile.data_dir
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    usage = shutil.disk_usage(folder)
    details = {"path": str(env.profile.data_dir), "free_bytes": usage.free,
               "total_bytes": usage.total}
    words = f"{human_size(usage.free)} free"
    if usage.free < 100 * MIB:
        return failed(f"only {words}: the app cannot keep its data", **details)
    if usage.free < GIB:
        return warning(f"only {words} (under 1 GB)", **details)
    return ok(words, **details)


def run_all(env: Environment, on_result: Callable[[CheckResult], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> list[CheckResult]:
    """Every check for ``env``; blocks the calling thread (never the GUI thread)."""
    from softphone.diagnose import run_checks

    return run_checks(all_checks(env), on_result, should_stop)

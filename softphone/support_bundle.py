"""The support bundle (``softphone support-bundle``): one zip for IT with the logs, the
settings, the pre-shift check's report, the version and the platform, without passwords,
tokens, keys or customer data.

Log text goes through ``softphone.redact``: every secret in the keyring, the names and
numbers of the calls in the call history and the names, companies, e-mail addresses and
numbers (national and international shapes too) of the customers the screen-pop showed
(read from the encrypted cache, which is never changed) are replaced, as are SIP
identities with their display names, quoted or not, e-mail addresses and phone numbers.
Blocking: runs on the command's main thread or a worker thread, never the GUI thread.
Imports no Qt.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import platform
import re
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import tomli_w

from softphone import __version__
from softphone.diagnose import CheckResult, format_report, report_json
from softphone.paths import Profile
from softphone.redact import Redactor, redact, redact_secrets, redact_url, secret_like
from softphone.secrets import CACHE_KEY, CRM_TOKEN, SIP_ACCOUNT, SecretStore
from softphone.settings import SCHEMA, Settings, open_settings
from softphone.targets import uri_user

log = logging.getLogger(__name__)

_LOG_NAME = re.compile(r"^[\w.\-]+\.log(\.\d+)?$")
_PACKAGES = ("pjsua2-python", "PySide6-Essentials", "sounddevice", "keyring", "httpx",
             "sqlcipher3", "SQLAlchemy", "pydantic")


@dataclass
class CustomerData:
    """The words to remove from the logs, read from the cache. ``readable`` False when
    the cache could not be opened (no key in the keyring): only the patterns apply then."""

    words: set[str] = field(default_factory=set)
    readable: bool = True
    note: str = ""


def default_output(now: float | None = None) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    return Path.cwd() / f"softphone-support-{stamp}.zip"


def log_files(log_dir: Path) -> list[Path]:
    """The app's and the engine's logs with their rotated copies, oldest rotation last."""
    if not log_dir.is_dir():
        return []
    return sorted((p for p in log_dir.iterdir() if p.is_file() and _LOG_NAME.match(p.name)),
                  key=lambda p: p.name)


def known_secrets(store: SecretStore) -> list[str]:
    """Every secret the app keeps in the keyring (values, never written anywhere)."""
    if not store.available():
        return []
    return [s for s in (store.get(SIP_ACCOUNT), store.get(CRM_TOKEN), store.get(CACHE_KEY)) if s]


# ------------------------------------------------------------------ customer words


def phone_words(phone: str) -> set[str]:
    """A number as written and, when it is a valid E.164 number, as people write it at
    home and abroad (``+40720000007``: ``0720 000 007``, ``+40 720 000 007``)."""
    import phonenumbers

    words = {phone}
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return words
    for style in (phonenumbers.PhoneNumberFormat.NATIONAL,
                  phonenumbers.PhoneNumberFormat.INTERNATIONAL):
        words.add(str(phonenumbers.format_number(parsed, style)))
    return words


def _customer_words(document: dict[str, Any]) -> set[str]:
    """The name, company, e-mail address and every phone number of a customer or lead."""
    words = {str(document.get(key) or "") for key in ("name", "company", "email")}
    for phone in document.get("phones") or []:
        words |= phone_words(str(phone))
    return words


def read_customer_words(path: Path, key_hex: str, region: str) -> set[str]:
    """Names and numbers of the calls in the history and of the customers the app showed
    for them (matched by number, fetched for a card, or in a call log). Read-only."""
    import sqlcipher3

    from softphone.numbers import to_e164

    words: set[str] = set()
    connection = sqlcipher3.connect(str(path), timeout=5.0)
    try:
        connection.execute(f"PRAGMA key = \"x'{key_hex}'\"")
        connection.execute("PRAGMA query_only = 1")
        customer_ids: set[str] = set()
        phones: set[str] = set()
        for name, number, uri in connection.execute(
                "SELECT display_name, number, uri FROM call_history"):
            user = uri_user(str(uri or ""))
            words.update({str(name or ""), str(number or ""), user})
            for candidate in (number, user):
                e164 = to_e164(str(candidate or ""), region) if candidate else None
                if e164:
                    phones.add(e164)
                    words |= phone_words(e164)
        for kind, body, customer_id in connection.execute(
                "SELECT kind, body, customer_id FROM outbox"):
            customer_ids.add(str(customer_id or ""))
            with contextlib.suppress(ValueError, TypeError):
                document = json.loads(body)
                if kind == "lead":
                    words |= _customer_words(document)
                words |= phone_words(str(document.get("phone") or ""))
        customer_ids.update(str(row[0]) for row in connection.execute(
            "SELECT customer_id FROM customer_recent"))
        for phone in phones:
            customer_ids.update(str(row[0]) for row in connection.execute(
                "SELECT customer_id FROM customer_phones WHERE phone = ?", (phone,)))
        customer_ids.discard("")
        for customer_id in customer_ids:
            row = connection.execute("SELECT data FROM customers WHERE id = ?",
                                     (customer_id,)).fetchone()
            if row is not None:
                with contextlib.suppress(ValueError, TypeError):
                    words |= _customer_words(json.loads(row[0]))
    finally:
        connection.close()
    words.discard("")
    return words


def customer_data(profile: Profile, store: SecretStore, region: str) -> CustomerData:
    """The customer words from the cache, when its key is in the keyring."""
    path = profile.cache_file
    if not path.exists():
        return CustomerData()
    key = store.get(CACHE_KEY) if store.available() else None
    if not key:
        return CustomerData(readable=False, note="the cache key is not in the keyring: "
                                                 "customer names were removed by pattern only")
    try:
        return CustomerData(read_customer_words(path, key, region))
    except Exception as exc:
        log.warning("Support bundle: cannot read the cache for redaction: %s", exc)
        return CustomerData(readable=False, note=f"the cache could not be read ({exc}): "
                                                 "customer names were removed by pattern only")


# ------------------------------------------------------------------ settings


def settings_toml(settings: Settings) -> str:
    """The effective settings as TOML, each with its source as a comment; values of
    settings whose names suggest a secret are blanked, URLs lose passwords and query
    values."""
    lines = [f"# Effective settings of Softphone {__version__}, "
             f"{datetime.now(UTC).isoformat(timespec='seconds')}",
             "# Each value is followed by where it comes from: default, system, provisioned "
             "or user (and locked when IT fixed it)."]
    for problem in settings.problems:
        lines.append(f"# ignored: {problem.message}")
    section = ""
    for spec in SCHEMA:
        if spec.section != section:
            section = spec.section
            lines += ["", f"[{section}]"]
        value = settings[spec.name]
        if secret_like(spec.name) and value not in ("", 0, False):
            value = "<removed>"
        elif isinstance(value, str) and "://" in value:
            value = redact_url(value)
        rendered = tomli_w.dumps({spec.key: value}).strip()
        source: str = settings.source(spec.name)
        if settings.locked(spec.name):
            source += ", locked"
        lines.append(f"{rendered}  # {source}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ version


def version_info() -> dict[str, Any]:
    packages: dict[str, str] = {}
    for name in _PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            packages[name] = "not installed"
    return {
        "softphone": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "machine": platform.machine(),
        "frozen": bool(getattr(sys, "frozen", False)),
        "packages": packages,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


# ------------------------------------------------------------------ the bundle


@dataclass(frozen=True)
class Bundle:
    path: Path
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()


def create_bundle(
    profile: Profile,
    output: Path | None = None,
    *,
    settings: Settings | None = None,
    secrets: SecretStore | None = None,
    results: Sequence[CheckResult] | None = None,
    run_diagnose: Callable[[], Sequence[CheckResult]] | None = None,
) -> Bundle:
    """Write the support bundle to ``output`` (default: a dated name in the current
    folder) and return where it went. ``results`` is a pre-shift check already made;
    otherwise ``run_diagnose`` (default: every check) runs one now. Blocking."""
    settings = settings or open_settings(profile)
    secrets = secrets or SecretStore()
    output = Path(output) if output is not None else default_output()
    if results is None:
        if run_diagnose is None:
            from softphone.diagnose.checks import Environment, run_all

            env = Environment(profile, settings, secrets)
            results = run_all(env)
        else:
            results = run_diagnose()
    customers = customer_data(profile, secrets, str(settings["calls.default_region"]))
    redactor = Redactor.build(known_secrets(secrets), customers.words)
    notes = [customers.note] if customers.note else []
    entries: list[tuple[str, bytes]] = [
        ("README.txt", _readme(notes).encode()),
        ("version.json", json.dumps(version_info(), indent=2).encode()),
        ("settings.toml", redact_secrets(settings_toml(settings), redactor).encode()),
        ("diagnose.json", redact_secrets(report_json(results), redactor).encode()),
        ("diagnose.txt", redact_secrets(format_report(results), redactor).encode()),
    ]
    for path in log_files(profile.log_dir):
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            notes.append(f"{path.name} could not be read ({exc.strerror})")
            continue
        entries.append((f"logs/{path.name}", redact(text, redactor).encode()))
    _write_zip(output, entries)
    return Bundle(output, tuple(name for name, _ in entries), tuple(notes))


def _readme(notes: Iterable[str]) -> str:
    text = (
        "Softphone support bundle\n\n"
        "settings.toml  the effective settings, each with where it comes from\n"
        "diagnose.txt   the pre-shift check (diagnose.json: the same as data)\n"
        "version.json   the app's version, the platform and the main packages\n"
        "logs/          the app's and the phone engine's logs\n\n"
        "Passwords, tokens and keys were removed, as were callers' and customers' names,\n"
        "numbers and e-mail addresses, and the user part of SIP addresses.\n"
    )
    extra = "".join(f"Note: {note}\n" for note in notes)
    return text + (f"\n{extra}" if extra else "")


def _write_zip(output: Path, entries: Sequence[tuple[str, bytes]]) -> None:
    """Write the zip next to ``output`` and move it there once complete (owner-only)."""
    output.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=".support-", suffix=".zip", dir=output.parent)
    try:
        with os.fdopen(fd, "wb") as raw, \
                zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
        Path(temp_name).replace(output)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(temp_name).unlink()
        raise

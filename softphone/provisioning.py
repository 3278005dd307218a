"""Settings IT serves over HTTPS for every agent, kept on disk so the app starts offline.

``provisioning.url`` (usually set in the system-wide file) points at a TOML document in
the settings file format, ``lock`` list and placeholders included. ``refresh`` fetches
it with certificate verification, checks it, and only then replaces the copy the
``Settings`` read as their provisioned layer; a fetch that fails leaves the last good
copy in use. Imports no Qt.

Threads: ``refresh`` blocks on the network; call it from a worker thread or the command
line, never the GUI thread. ``start_background_refresh`` makes that thread.
"""

from __future__ import annotations

import logging
import ssl
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import httpx

from softphone.settings import Settings, parse_admin_text

log = logging.getLogger(__name__)

MAX_DOCUMENT_BYTES = 256 * 1024  # a settings file is a few kilobytes
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ProvisioningResult:
    """What a refresh did: ``ok`` with the document in use, or why not (in plain words)."""

    ok: bool
    message: str
    fetched_at: float | None = None


def refresh(settings: Settings, timeout: float = TIMEOUT_SECONDS) -> ProvisioningResult:
    """Fetch ``provisioning.url`` into ``settings.provisioned_file`` and reload. Blocks."""
    url = str(settings["provisioning.url"]).strip()
    target = settings.provisioned_file
    if not url or target is None:
        return ProvisioningResult(False, "no provisioning address is set (provisioning.url)")
    if not url.lower().startswith("https://"):
        return ProvisioningResult(False, f"the provisioning address must use HTTPS: {url}")
    try:
        text = _download(url, str(settings["provisioning.ca_file"]), timeout)
        _check(text, url)
    except ProvisioningError as exc:
        log.warning("Provisioning: %s; %s", exc, _fallback(target))
        return ProvisioningResult(False, f"{exc}; {_fallback(target)}")
    _replace(target, text)
    settings.reload()
    log.info("Provisioning: settings from %s are in use", url)
    return ProvisioningResult(True, f"settings from {url} are in use", time.time())


class ProvisioningError(Exception):
    """The document could not be fetched or is not usable; the message says why."""


def _download(url: str, ca_file: str, timeout: float) -> str:
    try:
        context = ssl.create_default_context(cafile=ca_file or None)
    except (OSError, ssl.SSLError) as exc:
        raise ProvisioningError(f"the CA bundle {ca_file} cannot be read ({exc})") from exc
    try:
        with httpx.Client(verify=context, timeout=timeout, follow_redirects=False) as client, \
                client.stream("GET", url) as response:
            if response.status_code != 200:
                raise ProvisioningError(
                    f"the provisioning server answered {response.status_code}")
            body = bytearray()
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > MAX_DOCUMENT_BYTES:
                    raise ProvisioningError("the provisioning document is too large")
    except httpx.ConnectError as exc:
        if isinstance(exc.__cause__, ssl.SSLCertVerificationError) or "CERTIFICATE" in str(exc):
            raise ProvisioningError(
                f"the provisioning server's certificate is not trusted ({exc})") from exc
        raise ProvisioningError(f"the provisioning server is unreachable ({exc})") from exc
    except httpx.HTTPError as exc:
        raise ProvisioningError(f"the provisioning server is unreachable ({exc})") from exc
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProvisioningError("the provisioning document is not UTF-8 text") from exc


def _check(text: str, url: str) -> None:
    """Refuse a document that is not TOML; single bad values are reported and skipped
    when the layer is read, like in any settings file."""
    try:
        _layer, problems = parse_admin_text(text, Path(url))
    except tomllib.TOMLDecodeError as exc:
        raise ProvisioningError(f"the provisioning document is not valid TOML: {exc}") from exc
    for problem in problems:
        log.warning("Provisioning: %s", problem.message)


def _replace(target: Path, text: str) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = target.with_suffix(".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(target)


def _fallback(target: Path) -> str:
    if target.exists():
        return "the copy fetched earlier is in use"
    return "no earlier copy: the system-wide and your own settings are in use"


def start_background_refresh(settings: Settings) -> threading.Thread | None:
    """Refresh once on a daemon thread, if a provisioning address is set."""
    if not str(settings["provisioning.url"]).strip():
        return None
    thread = threading.Thread(target=refresh, args=(settings,), name="provisioning",
                              daemon=True)
    thread.start()
    return thread

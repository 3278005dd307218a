"""Dial targets and SIP addresses: what the agent typed, checked and turned into URIs.

Accepted: a phone number or extension, a ``tel:`` URI, ``user@host``, or a ``sip:``/
``sips:`` URI. Pure functions with no Qt, used by the GUI process and by the engine;
any thread.
"""

from __future__ import annotations

import re

from softphone.errors import UserFacingError

MAX_TARGET_LENGTH = 256
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,64}$")
_USER = re.compile(r"^[A-Za-z0-9_.!~*'+\-%&=$]{1,64}$")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]{1,253})(:[0-9]{1,5})?$")
_URI_PARAMS = re.compile(r"^(;[A-Za-z0-9_.!~*'+\-%=]+)*$")


#: Links a desktop, browser or the Windows shell hands to the app (argument or event).
LINK_SCHEMES = ("tel:", "sip:", "sips:", "callto:")

def uri_domain(uri: str) -> str:
    """``host[:port]`` of a ``sip:user@host:port;params`` URI (display name allowed)."""
    inner = uri.split("<", 1)[1].split(">", 1)[0] if "<" in uri else uri
    rest = inner.split(":", 1)[1] if re.match(r"(?i)^sips?:", inner.strip()) else inner
    rest = rest.split("@", 1)[-1]
    return re.split(r"[;?>]", rest, maxsplit=1)[0].strip()


def uri_user(uri: str) -> str:
    """User part of a ``sip:user@host`` URI, or "" when it has none."""
    inner = uri.split("<", 1)[1].split(">", 1)[0] if "<" in uri else uri
    rest = inner.split(":", 1)[1] if re.match(r"(?i)^sips?:", inner.strip()) else inner
    return rest.split("@", 1)[0].split(":", 1)[0] if "@" in rest else ""


def normalise_dial_target(text: str, default_region: str = "") -> str:
    """What the agent typed, checked: a number, a user name or a SIP URI.

    Numbers and ``tel:`` URIs lose their visual separators (``+49 (30) 123`` becomes
    ``+4930123``); ``user@host`` becomes ``sip:user@host``. Raises ``UserFacingError`` with
    words for the agent. ``default_region`` is reserved for turning national numbers into
    E.164.
    """
    del default_region
    target = text.strip()
    if not target:
        raise UserFacingError("Enter a number or SIP address to call.")
    if len(target) > MAX_TARGET_LENGTH or _has_control_characters(target):
        raise UserFacingError(f"{_shown(text)} is not a number or SIP address.")
    lowered = target.lower()
    if lowered.startswith("callto:"):  # Skype-era links: callto:NUMBER or callto://NUMBER
        target = target[7:].lstrip("/")
        lowered = target.lower()
    if lowered.startswith(("sip:", "sips:")):
        return _checked_sip_uri(target)
    if lowered.startswith("tel:"):
        number = _SEPARATORS.sub("", target[4:].split(";", 1)[0])
        if not _NUMBER.match(number):
            raise UserFacingError(f"{_shown(text)} is not a phone number.")
        return number
    if "@" in target:
        return _checked_sip_uri("sip:" + target)
    number = _SEPARATORS.sub("", target)
    if _NUMBER.match(number):
        return number
    if _USER.match(target):
        return target
    raise UserFacingError(f"{_shown(text)} is not a number or SIP address.")


def normalize_target(target: str, domain: str) -> str:
    """Turn what the agent dialled into a SIP URI at ``domain``, or raise ``UserFacingError``.

    Runs in the engine, which knows the account's domain.
    """
    dialled = normalise_dial_target(target)
    if dialled.lower().startswith(("sip:", "sips:")):
        return dialled
    if not domain:
        raise UserFacingError(f"Cannot dial {_shown(target)}: no SIP account is set up.")
    return f"sip:{dialled.replace('#', '%23')}@{domain}"


def _has_control_characters(text: str) -> bool:
    return any(ord(c) < 32 or c == "\x7f" for c in text)

def _checked_sip_uri(uri: str) -> str:
    scheme, _, rest = uri.partition(":")
    user, at, hostpart = rest.rpartition("@")
    host, _, params = hostpart.partition(";")
    if (
        (at and not _USER.match(user))
        or not _HOST.match(host)
        or (params and not _URI_PARAMS.match(";" + params))
    ):
        raise UserFacingError(f"{_shown(uri)} is not a valid SIP address.")
    return f"{scheme.lower()}:{rest}"


def _shown(text: str) -> str:
    """The target quoted for an error message, bounded and printable."""
    printable = "".join(c if c.isprintable() else "?" for c in text[:60])
    return f'"{printable}"'

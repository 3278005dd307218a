"""Dial targets and account addresses (pure functions, any thread)."""

from __future__ import annotations

import re

from softphone.errors import UserFacingError

MAX_TARGET = 256
_SEPARATORS = re.compile(r"[\s\-.()/]")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,64}$")
_USER = re.compile(r"^[A-Za-z0-9_.!~*'+\-%&=$]{1,64}$")
_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.\-]{1,253})(:[0-9]{1,5})?$")
_URI_PARAMS = re.compile(r"^(;[A-Za-z0-9_.!~*'+\-%=]+)*$")


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


def normalize_target(target: str, domain: str) -> str:
    """Turn what the agent dialled into a SIP URI, or raise ``UserFacingError``.

    Numbers and ``tel:`` URIs become ``sip:NUMBER@domain``; ``sip:``/``sips:`` URIs and
    ``user@host`` are checked and kept; a bare user name dials that user at ``domain``.
    """
    text = target.strip()
    if not text or len(text) > MAX_TARGET or any(ord(c) < 32 or c == "\x7f" for c in text):
        raise UserFacingError(f"{_shown(target)} is not a number or SIP address.")
    lowered = text.lower()
    if lowered.startswith(("sip:", "sips:")):
        return _checked_sip_uri(text)
    if lowered.startswith("tel:"):
        number = _SEPARATORS.sub("", text[4:].split(";", 1)[0])
        return _number_uri(number, domain, target)
    if "@" in text:
        return _checked_sip_uri("sip:" + text)
    number = _SEPARATORS.sub("", text)
    if _NUMBER.match(number):
        return _number_uri(number, domain, target)
    if _USER.match(text):
        return _with_domain(text, domain, target)
    raise UserFacingError(f"{_shown(target)} is not a number or SIP address.")


def _number_uri(number: str, domain: str, target: str) -> str:
    if not _NUMBER.match(number):
        raise UserFacingError(f"{_shown(target)} is not a phone number.")
    return _with_domain(number, domain, target)


def _with_domain(user: str, domain: str, target: str) -> str:
    if not domain:
        raise UserFacingError(f"Cannot dial {_shown(target)}: no SIP account is set up.")
    return f"sip:{user.replace('#', '%23')}@{domain}"


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

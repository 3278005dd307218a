"""Caller identity from untrusted SIP headers (pure functions, any thread).

The identity of the remote party comes from P-Asserted-Identity, else Remote-Party-ID,
else From. Every value is plain text: control and bidi-override characters are removed,
lengths are bounded, nothing is interpreted as markup.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote

from softphone.protocol import RemoteParty

MAX_DISPLAY_NAME = 128
MAX_NUMBER = 64
MAX_URI = 256
#: Raw header values longer than this are cut before parsing (pjsip bounds messages too).
MAX_HEADER = 16384

ANONYMOUS_NAME = "Anonymous"
_ANONYMOUS_USERS = frozenset({"anonymous", "restricted", "unavailable", "withheld", "private"})
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_COMPACT_HEADERS = {"f": "from"}


@dataclass(frozen=True)
class NameAddr:
    """One parsed ``"Display" <uri>;params`` value."""

    display_name: str
    uri: str
    params: dict[str, str]


def clean_text(text: str, limit: int) -> str:
    """Remove control and bidi-override characters, collapse whitespace, bound length."""
    kept = []
    for char in text:
        if char in _BIDI_CONTROLS:
            continue
        category = unicodedata.category(char)
        if category == "Cs":  # undecodable bytes arrive as lone surrogates
            kept.append("\ufffd")
            continue
        if category == "Cc":
            kept.append(" ")
            continue
        kept.append(char)
    return " ".join("".join(kept).split())[:limit]


def parse_headers(message: str) -> dict[str, list[str]]:
    """Header values of a raw SIP message by lower-case name (compact forms expanded).

    Only the header section is read; folded lines are joined; each value is bounded.
    """
    head = re.split(r"\r?\n\r?\n", message, maxsplit=1)[0]
    lines = re.split(r"\r?\n", head)
    unfolded: list[str] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and unfolded:
            unfolded[-1] += " " + line.strip()
        else:
            unfolded.append(line)
    headers: dict[str, list[str]] = {}
    for line in unfolded:
        name, sep, value = line.partition(":")
        if not sep:
            continue
        key = name.strip().lower()
        key = _COMPACT_HEADERS.get(key, key)
        headers.setdefault(key, []).extend(_split_values(value.strip()[:MAX_HEADER]))
    return headers


def _split_values(value: str) -> list[str]:
    """Split a header value at commas that are outside quotes and angle brackets."""
    parts: list[str] = []
    current: list[str] = []
    in_quote = in_angle = escaped = False
    for char in value:
        if escaped:
            escaped = False
        elif char == "\\" and in_quote:
            escaped = True
        elif char == '"':
            in_quote = not in_quote
        elif char == "<" and not in_quote:
            in_angle = True
        elif char == ">" and not in_quote:
            in_angle = False
        elif char == "," and not in_quote and not in_angle:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]


def parse_name_addr(value: str) -> NameAddr | None:
    """Parse ``"Name" <uri>;p=v``, ``Name <uri>`` or a bare ``uri;p=v``."""
    value = value.strip()
    display = ""
    if value.startswith('"'):
        match = re.match(r'"((?:[^"\\]|\\.)*)"\s*(.*)$', value, re.S)
        if not match:
            return None
        display = re.sub(r"\\(.)", r"\1", match.group(1))
        value = match.group(2)
    if "<" in value:
        before, _, rest = value.partition("<")
        uri, closed, after = rest.partition(">")
        if not closed:
            return None
        display = display or before.strip()
        params = _parse_params(after)
    else:
        uri, _, after = value.partition(";")
        params = _parse_params(";" + after if after else "")
    uri = uri.strip()
    if not re.match(r"(?i)^(sips?|tel):", uri):
        return None
    return NameAddr(display_name=display, uri=uri, params=params)


def _parse_params(text: str) -> dict[str, str]:
    params: dict[str, str] = {}
    for item in text.split(";"):
        name, _, value = item.partition("=")
        if name.strip():
            params[name.strip().lower()] = value.strip().strip('"')
    return params


def uri_user_host(uri: str) -> tuple[str, str]:
    """User and host parts of a sip:, sips: or tel: URI (user %-decoded, params dropped)."""
    scheme, _, rest = uri.partition(":")
    if scheme.lower() == "tel":
        return unquote(rest.split(";", 1)[0]), ""
    userinfo, at, hostpart = rest.partition("@")
    if not at:
        userinfo, hostpart = "", rest
    user = unquote(userinfo.split(":", 1)[0].split(";", 1)[0])
    host = re.split(r"[;?>]", hostpart, maxsplit=1)[0]
    return user, host


def is_anonymous(addr: NameAddr) -> bool:
    """True when the address says the caller withheld their identity."""
    user, host = uri_user_host(addr.uri)
    if host.lower().startswith("anonymous.invalid") or user.lower() in _ANONYMOUS_USERS:
        return True
    return addr.params.get("privacy", "").lower() in ("full", "name", "uri")


def party_from_name_addr(addr: NameAddr) -> RemoteParty:
    """The RemoteParty for one address, anonymous callers included."""
    if is_anonymous(addr):
        return RemoteParty(display_name=ANONYMOUS_NAME, number="", uri="")
    user, _ = uri_user_host(addr.uri)
    display = clean_text(addr.display_name, MAX_DISPLAY_NAME)
    if display.lower() in _ANONYMOUS_USERS:
        display = ANONYMOUS_NAME
    return RemoteParty(
        display_name=display,
        number=clean_text(user, MAX_NUMBER),
        uri=clean_text(addr.uri, MAX_URI),
    )


def party_from_value(value: str) -> RemoteParty:
    """The RemoteParty for a header value such as ``ci.remoteUri``; empty if unparsable."""
    addr = parse_name_addr(value[:MAX_HEADER])
    return party_from_name_addr(addr) if addr else RemoteParty()


def remote_party_from_message(message: str) -> RemoteParty:
    """Who is calling, from a raw INVITE: P-Asserted-Identity, Remote-Party-ID, From."""
    headers = parse_headers(message)
    for name in ("p-asserted-identity", "remote-party-id", "from"):
        addrs = [a for a in map(parse_name_addr, headers.get(name, [])) if a is not None]
        if not addrs:
            continue
        best = _best_address(addrs)
        party = party_from_name_addr(best)
        if name != "from" and not party.display_name:
            party = _borrow_display_name(party, headers)
        return party
    return RemoteParty()


def _best_address(addrs: list[NameAddr]) -> NameAddr:
    """Prefer a sip: address with a display name; tel: gives the number if sip: has none."""
    named = [a for a in addrs if a.display_name]
    return named[0] if named else addrs[0]


def _borrow_display_name(party: RemoteParty, headers: dict[str, list[str]]) -> RemoteParty:
    """Asserted identities often carry no name: take From's when it names the same number."""
    for value in headers.get("from", []):
        addr = parse_name_addr(value)
        if addr is None or is_anonymous(addr):
            continue
        user, _ = uri_user_host(addr.uri)
        if clean_text(user, MAX_NUMBER) == party.number:
            name = clean_text(addr.display_name, MAX_DISPLAY_NAME)
            return RemoteParty(display_name=name, number=party.number, uri=party.uri)
    return party

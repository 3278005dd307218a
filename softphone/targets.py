"""What the agent typed into the number field, turned into something the engine can dial.

Accepted: a phone number or extension (visual separators are dropped), a ``tel:`` URI,
or a ``sip:``/``sips:`` URI. The engine adds the registrar's domain to bare numbers.
Imports no Qt.
"""

from __future__ import annotations

import re

from softphone.errors import UserFacingError

MAX_TARGET_LENGTH = 256
_SEPARATORS = re.compile(r"[\s().\-/]")
_NUMBER = re.compile(r"^\+?[0-9*#]{1,32}$")
_USER_OR_NUMBER = re.compile(r"^[A-Za-z0-9+*#_.!~'()%&=$,;?/-]{1,64}$")
_SIP_URI = re.compile(
    r"^sips?:(?:[A-Za-z0-9+*#_.!~'()%&=$,;?/-]{1,64}@)?"
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]{1,253})(?::\d{1,5})?(?:;[A-Za-z0-9=_.;-]*)?$"
)


def normalise_dial_target(text: str, default_region: str = "") -> str:
    """Return a number (``+4930123``, ``1001``) or a validated SIP URI.

    Raises ``UserFacingError`` with words for the agent when ``text`` cannot be dialled.
    ``default_region`` is reserved for turning national numbers into E.164.
    """
    del default_region
    target = text.strip()
    if not target:
        raise UserFacingError("Enter a number or SIP address to call.")
    if len(target) > MAX_TARGET_LENGTH:
        raise UserFacingError("That address is too long to dial.")
    lowered = target.lower()
    if lowered.startswith("tel:"):
        target = target[4:].split(";", 1)[0]
        lowered = target.lower()
    if lowered.startswith(("sip:", "sips:")):
        if not _SIP_URI.match(target):
            raise UserFacingError(f"{text!r} is not a valid SIP address.")
        return target
    number = _SEPARATORS.sub("", target)
    if _NUMBER.match(number):
        return number
    if "@" not in target and _USER_OR_NUMBER.match(target):
        return target
    if "@" in target and _SIP_URI.match("sip:" + target):
        return "sip:" + target
    raise UserFacingError(f"{text!r} is not a number or SIP address that can be dialled.")

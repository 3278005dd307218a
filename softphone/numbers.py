"""Phone numbers in the shapes people type and SIP delivers, reduced to E.164.

Uses the ``phonenumbers`` library, so national forms, spaces, dashes, brackets and a
leading ``00`` or ``+`` all reduce to the same ``+CCNNN...`` text. Any thread; imports no Qt.
"""

from __future__ import annotations

import re

import phonenumbers

MAX_INPUT_LENGTH = 64
# Characters people put between digits; anything else makes the text not a number.
_DECORATION = re.compile(r"[\s\-().\u00a0/]")
_INTERNATIONAL_00 = re.compile(r"^00(?=[1-9])")


def to_e164(text: str, default_region: str = "US") -> str | None:
    """``text`` as an E.164 number, or None when it is not a valid phone number.

    ``default_region`` (ISO 3166 code) places numbers written without a country code.
    """
    if not text or len(text) > MAX_INPUT_LENGTH:
        return None
    compact = _DECORATION.sub("", text.strip())
    compact = _INTERNATIONAL_00.sub("+", compact)
    if not compact or not re.fullmatch(r"\+?[0-9]+", compact):
        return None
    region = default_region.upper() if default_region else None
    try:
        parsed = phonenumbers.parse(compact, None if compact.startswith("+") else region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(parsed):
        return None
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


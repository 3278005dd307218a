"""Removing secrets and customer data from log text before it leaves the computer.

Pure functions (any thread, no I/O), used by the support bundle. What goes:

- every known secret (``secrets``: the SIP password, the CRM token, the cache key), as
  written and URL-encoded;
- known customer words (``words``: names, companies, numbers and e-mail addresses from
  the call history and the customers the screen-pop showed), in any letter case;
- header values of From, To, Contact, P-Asserted-Identity, Remote-Party-ID and the other
  identity headers of SIP, long and compact forms, on lines of a SIP trace;
- the user part of ``sip:``, ``sips:`` and ``tel:`` URIs, and quoted display names in
  front of such a URI;
- e-mail addresses, runs of six or more digits and ``+``-prefixed phone numbers.

Imports no Qt.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

SECRET = "<secret>"  # noqa: S105 (the placeholder, not a secret)
CUSTOMER = "<customer>"
REMOVED = "<removed>"
USER = "<user>"
NAME = "<name>"
EMAIL = "<email>"
DIGITS = "<digits>"

#: Shorter words are too likely to be ordinary text ("Al", "Bo"): left to the other rules.
MIN_WORD = 3
MIN_SECRET = 4

_IDENTITY_HEADERS = (
    "From", "To", "Contact", "P-Asserted-Identity", "P-Preferred-Identity",
    "Remote-Party-ID", "Referred-By", "Refer-To", "Diversion", "History-Info", "Reply-To",
    "f", "t", "m", "r", "b",
)
_HEADER = re.compile(
    r"^([ \t]*(?:" + "|".join(re.escape(h) for h in _IDENTITY_HEADERS) + r")[ \t]*:)[^\r\n]*",
    re.IGNORECASE | re.MULTILINE,
)
_DISPLAY_NAME = re.compile(r'"(?:[^"\\\r\n]|\\.)*"(\s*<\s*(?:sips?|tel):)', re.IGNORECASE)
_URI_USER = re.compile(r"\b(sips?:)[^@\s<>\"';,]+@", re.IGNORECASE)
_TEL = re.compile(r"\btel:[+0-9*#().\-]+", re.IGNORECASE)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
_PLUS_NUMBER = re.compile(r"\+\d[\d \-().]{5,}\d")
_DIGIT_RUN = re.compile(r"\d{6,}")


@dataclass(frozen=True)
class Redactor:
    """Redacts text with a fixed set of secrets and customer words. Any thread."""

    secrets: tuple[str, ...] = ()
    words: tuple[str, ...] = ()

    @classmethod
    def build(cls, secrets: Iterable[str | None], words: Iterable[str | None]) -> Redactor:
        """Blank and too-short entries dropped, longest first (so no part of a longer one
        is left behind when a shorter one is replaced first)."""
        kept_secrets: set[str] = set()
        for secret in secrets:
            if secret and len(secret.strip()) >= MIN_SECRET:
                kept_secrets.update({secret, secret.strip(), quote(secret, safe=""),
                                     quote_plus(secret)})
        kept_words: set[str] = set()
        for word in words:
            text = " ".join((word or "").split())
            if len(text) >= MIN_WORD:
                kept_words.add(text)
                digits = re.sub(r"\D", "", text)
                if len(digits) >= MIN_WORD and len(digits) >= len(text) // 2:
                    kept_words.add(digits)  # a number written with separators
        return cls(tuple(sorted(kept_secrets, key=len, reverse=True)),
                   tuple(sorted(kept_words, key=len, reverse=True)))

    def __call__(self, text: str) -> str:
        return redact(text, self)


def _word_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    if not words:
        return None
    parts = []
    for word in words:
        escaped = re.escape(word).replace(r"\ ", r"\s+")
        # Whole words only where the word starts/ends with a letter or digit.
        start = r"(?<!\w)" if word[:1].isalnum() else ""
        end = r"(?!\w)" if word[-1:].isalnum() else ""
        parts.append(f"{start}{escaped}{end}")
    return re.compile("|".join(parts), re.IGNORECASE)


def redact(text: str, redactor: Redactor | None = None) -> str:
    """``text`` with secrets, customer words and identities removed (see module doc)."""
    redactor = redactor or Redactor()
    for secret in redactor.secrets:
        text = text.replace(secret, SECRET)
    pattern = _word_pattern(redactor.words)
    if pattern is not None:
        text = pattern.sub(CUSTOMER, text)
    text = _HEADER.sub(lambda m: f"{m.group(1)} {REMOVED}", text)
    text = _DISPLAY_NAME.sub(lambda m: f'"{NAME}"{m.group(1)}', text)
    text = _URI_USER.sub(lambda m: f"{m.group(1)}{USER}@", text)
    text = _TEL.sub(f"tel:{USER}", text)
    text = _EMAIL.sub(EMAIL, text)
    text = _PLUS_NUMBER.sub(DIGITS, text)
    return _DIGIT_RUN.sub(DIGITS, text)


def redact_secrets(text: str, redactor: Redactor) -> str:
    """Only the known secrets and customer words (for the configuration and report)."""
    for secret in redactor.secrets:
        text = text.replace(secret, SECRET)
    pattern = _word_pattern(redactor.words)
    return pattern.sub(CUSTOMER, text) if pattern is not None else text


_SECRET_NAME = re.compile(r"(password|passwd|secret|token|credential|private|apikey|api_key"
                          r"|(^|[._])key$)", re.IGNORECASE)


def secret_like(name: str) -> bool:
    """Whether a setting's name suggests it holds a secret (``sip.password``,
    ``crm.api_token``); ``audio.key_account_ringtone`` does not."""
    return bool(_SECRET_NAME.search(name))


_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/@\s]+@")
_URL_QUERY = re.compile(r"([?&][^=&#\s]+=)[^&#\s]*")


def redact_url(value: str) -> str:
    """A URL without its user:password part and with query values blanked."""
    value = _URL_USERINFO.sub(lambda m: f"{m.group(1)}{REMOVED}@", value)
    if "://" in value:
        value = _URL_QUERY.sub(lambda m: f"{m.group(1)}{REMOVED}", value)
    return value

"""Removing secrets and customer data from log text before it leaves the computer.

Pure functions (any thread, no I/O), used by the support bundle. What goes:

- every known secret (``secrets``: the SIP password, the CRM token, the cache key), as
  written and URL-encoded;
- known customer words (``words``: names, companies, numbers and e-mail addresses from
  the call history and the customers the screen-pop showed), in any letter case;
- header values of From, To, Contact, P-Asserted-Identity, Remote-Party-ID and the other
  identity headers of SIP, long and compact forms, on lines of a SIP trace;
- the user part of ``sip:``, ``sips:`` and ``tel:`` URIs, and the display name in front
  of such a URI: quoted (``"Jane Doe" <sip:...>``, escaped quotes allowed) or not
  (``Jane Doe <sip:...>``: the words from the previous delimiter ``: , ; = ( ) [ ] { } < >
  |`` or the line's start up to the ``<``, less ordinary leading words such as "call
  from");
- e-mail addresses, runs of six or more digits and ``+``-prefixed phone numbers.

Known numbers are found with spaces, dashes, dots, slashes or brackets between their
digits too. Every rule takes time linear in the text's length: no pattern repeats a part
that itself repeats over the same characters, and the places where a match may start
are chosen so that the runs read from them do not overlap (a 100 kB line without a line
break costs milliseconds, not minutes).

Imports no Qt.
"""

from __future__ import annotations

import functools
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
# A quoted display name: it opens at a quote not escaped by a backslash, so the runs read
# from two places where it may open never overlap.
_DISPLAY_NAME = re.compile(r'(?<!\\)"(?:[^"\\\r\n]|\\[^\r\n])*"([ \t]*<[ \t]*(?:sips?|tel):)',
                           re.IGNORECASE)
_URI_OPEN = re.compile(r"<[ \t]*(?:sips?|tel):", re.IGNORECASE)
#: What ends the text in front of an unquoted display name (besides line breaks).
NAME_DELIMITERS = ":,;=()[]{}<>|"
_ORDINARY_WORDS = (
    "a", "an", "and", "at", "by", "for", "from", "in", "is", "of", "on", "or", "the", "to",
    "via", "was", "with", "call", "calls", "calling", "called", "caller", "callee",
    "incoming", "outgoing", "inbound", "outbound", "remote", "party", "peer", "dial",
    "dialing", "dialling", "dialed", "dialled", "transfer", "transferring", "transferred",
    "refer", "referred", "referring", "contact", "target", "answered", "ringing", "ended",
    "declined", "rejected", "hold", "held", "resumed", "new", "unknown",
)
#: Words kept when they come first in front of an unquoted name ("call from Jane Doe").
#: Only as written in lower case, or capitalised when longer than three letters: "To"
#: and "An" may be a caller's name.
ORDINARY = frozenset(_ORDINARY_WORDS) | {w.capitalize() for w in _ORDINARY_WORDS if len(w) > 3}
# The user part may hold ``user:password``; neither half holds a colon, so the runs read
# from two ``sip:`` never overlap.
_URI_USER = re.compile(r"\b(sips?:)[^@\s<>\"';,:]+(?::[^@\s<>\"';,:]*)?@", re.IGNORECASE)
_TEL = re.compile(r"\btel:[+0-9*#().\-]+", re.IGNORECASE)
# Starts only where a run of the local part's characters starts.
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")
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

    @functools.cached_property
    def known_words(self) -> KnownWords:
        """The words' matcher, made once (any thread; a second one may be made twice)."""
        return KnownWords(self.words)

    def __call__(self, text: str) -> str:
        return redact(text, self)


#: Known numbers of at least this many digits are also found with separators between
#: their digits ("0720 000 007", "(0720) 000-007", "+40 720 000 007").
MIN_SPACED_DIGITS = 6
# At most three separators between two digits: each digit is a literal the separators
# cannot match, so a number's pattern never reads a character twice.
_DIGIT_GAP = r"[\s\-.()/]{0,3}"


def _word_part(word: str) -> str:
    """The pattern of one known word: whole words only where it starts or ends with a
    letter or digit; a long number with separators allowed and any non-digit around it
    (``%2B40720000007`` holds ``40720000007``)."""
    if word.isdigit() and len(word) >= MIN_SPACED_DIGITS:
        return r"(?<!\d)" + _DIGIT_GAP.join(word) + r"(?!\d)"
    escaped = re.escape(word).replace(r"\ ", r"\s+")
    start = r"(?<!\w)" if word[:1].isalnum() else ""
    end = r"(?!\w)" if word[-1:].isalnum() else ""
    return f"{start}{escaped}{end}"


_WORD_TOKEN = re.compile(r"\w+")
#: Digits in groups with at most three separators between groups: where a known number
#: written with separators may be.
_DIGIT_GROUPS = re.compile(r"\d+(?:" + _DIGIT_GAP.replace("{0,3}", "{1,3}") + r"\d+)*")


class KnownWords:
    """Finds known customer words in text in time linear in the text's length.

    One pattern with thousands of alternatives is tried at every character: a support
    bundle of a busy agent's logs took hours. Instead, each word is looked up by its
    first run of letters and digits and only those words' own patterns are tried there;
    long numbers are looked up by the digits of each run of digit groups. Any thread.
    """

    def __init__(self, words: Iterable[str]) -> None:
        self._by_first_token: dict[str, list[re.Pattern[str]]] = {}
        self._numbers: set[str] = set()
        self._longest_number = 0
        others: list[str] = []
        for word in words:
            if word.isdigit() and len(word) >= MIN_SPACED_DIGITS:
                self._numbers.add(word)
                self._longest_number = max(self._longest_number, len(word))
                continue
            first = _WORD_TOKEN.search(word)
            if first is None or first.start() > 0:
                others.append(word)  # starts with a sign or holds no letter at all: rare
                continue
            pattern = re.compile(_word_part(word), re.IGNORECASE)
            self._by_first_token.setdefault(first.group().lower(), []).append(pattern)
        self._others = (re.compile("|".join(_word_part(w) for w in others), re.IGNORECASE)
                        if others else None)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where known words are, left to right, without overlaps (the longest wins)."""
        found: list[tuple[int, int]] = []
        for token in _WORD_TOKEN.finditer(text):
            for pattern in self._by_first_token.get(token.group().lower(), ()):
                match = pattern.match(text, token.start())
                if match:
                    found.append(match.span())
        if self._numbers:
            for run in _DIGIT_GROUPS.finditer(text):
                found += self._number_spans(run)
        if self._others is not None:
            found += [match.span() for match in self._others.finditer(text)]
        return _without_overlaps(found)

    def _number_spans(self, run: re.Match[str]) -> list[tuple[int, int]]:
        """Known numbers in a run of digit groups: from a group's start to a group's end."""
        groups = [(m.start(), m.end(), m.group()) for m in re.finditer(r"\d+", run.group())]
        spans = []
        for first, (start, _end, digits) in enumerate(groups):
            joined = digits
            for last in range(first, len(groups)):
                if last > first:
                    joined += groups[last][2]
                if len(joined) > self._longest_number:
                    break
                if joined in self._numbers:
                    spans.append((run.start() + start, run.start() + groups[last][1]))
        return spans

    def sub(self, replacement: str, text: str) -> str:
        spans = self.spans(text)
        if not spans:
            return text
        parts, position = [], 0
        for start, end in spans:
            parts += [text[position:start], replacement]
            position = end
        parts.append(text[position:])
        return "".join(parts)


def _without_overlaps(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda span: (span[0], -span[1])):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return kept


def _name_start(text: str, low: int, high: int) -> int:
    """Where the text in front of ``text[high]`` starts: after the last delimiter or line
    break in ``text[low:high]``, else ``low``. Reads the span once per delimiter."""
    start = low
    for mark in ("\n", "\r", *NAME_DELIMITERS):
        start = max(start, text.rfind(mark, low, high) + 1)
    return start


def _without_name(segment: str) -> str:
    """``segment`` (the text between a delimiter and ``<sip:``) with the display name in
    it replaced, ordinary leading words and the spaces around kept."""
    words = segment.split()
    kept = 0
    while kept < len(words) and words[kept] in ORDINARY:
        kept += 1
    if not "".join(words[kept:]).strip("\"'\\"):
        return segment  # nothing but ordinary words, quotes or a name already replaced
    lead = segment[:len(segment) - len(segment.lstrip())]
    tail = segment[len(segment.rstrip()):]
    return lead + " ".join([*words[:kept], NAME]) + tail


def _unquoted_names(text: str) -> str:
    """``text`` with unquoted display names in front of ``<sip:``, ``<sips:`` and
    ``<tel:`` replaced. The text in front of each URI is read back only to where the
    previous one ended, so the whole text is read a bounded number of times."""
    pieces: list[str] = []
    done = 0
    for match in _URI_OPEN.finditer(text):
        start = _name_start(text, done, match.start())
        pieces += [text[done:start], _without_name(text[start:match.start()]), match.group()]
        done = match.end()
    if not pieces:
        return text
    pieces.append(text[done:])
    return "".join(pieces)


#: The general rules only: what pjsip's log writer uses for every line it writes.
_NO_KNOWN_WORDS = Redactor()


def redact(text: str, redactor: Redactor | None = None) -> str:
    """``text`` with secrets, customer words and identities removed (see module doc)."""
    redactor = redactor or _NO_KNOWN_WORDS
    for secret in redactor.secrets:
        text = text.replace(secret, SECRET)
    text = redactor.known_words.sub(CUSTOMER, text)
    text = _HEADER.sub(lambda m: f"{m.group(1)} {REMOVED}", text)
    text = _DISPLAY_NAME.sub(lambda m: f'"{NAME}"{m.group(1)}', text)
    text = _unquoted_names(text)
    text = _URI_USER.sub(lambda m: f"{m.group(1)}{USER}@", text)
    text = _TEL.sub(f"tel:{USER}", text)
    text = _EMAIL.sub(EMAIL, text)
    text = _PLUS_NUMBER.sub(DIGITS, text)
    return _DIGIT_RUN.sub(DIGITS, text)


def redact_secrets(text: str, redactor: Redactor) -> str:
    """Only the known secrets and customer words (for the configuration and report)."""
    for secret in redactor.secrets:
        text = text.replace(secret, SECRET)
    return redactor.known_words.sub(CUSTOMER, text)


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

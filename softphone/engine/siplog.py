"""pjsua2 log output routed into Python logging, with secrets and identities removed.

pjsip names the other party in its own lines, at every level: the call dump at hang-up
(level 3: ``[CONFIRMED] To: "Jane Doe" <sip:0721...@pbx>``), "Making call ... to sip:...",
"Transferring call 0 to sip:...", the conference ports named by URI, and the DTMF digits
sent ("Call 0 sending DTMF 1234#", "Sending DTMF digit id 1"). Those lines are kept, for
support, with the display names, URI user parts, numbers, e-mail addresses and digits
replaced (``softphone.redact.redact``). Raw SIP messages are written only with the SIP
trace on, and then with only the credentials removed: showing them is what the trace is
for.

``PjLogWriter.write`` is called by pjlib on whichever thread logs (mostly the main
pjsua thread, sometimes the pjmedia clock thread); it only formats and hands the line
to ``logging``, which is thread-safe.
"""

from __future__ import annotations

import logging
import re

import pjsua2 as pj

from softphone.redact import DIGITS
from softphone.redact import redact as redact_identities

log = logging.getLogger("pjsip")

_AUTH_HEADER = re.compile(
    r"^((?:Proxy-)?Authorization|WWW-Authenticate|Proxy-Authenticate)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)
_AUTH_PARAMS = re.compile(r'\b(response|cnonce|nonce)\s*=\s*"[^"]*"', re.IGNORECASE)
_PASSWORD = re.compile(
    r"((?:pass(?:word)?|auth_pass|secret|pwd)\s*[=:]\s*)(\"[^\"]*\"|[^\s;,&]+)",
    re.IGNORECASE,
)
# On the entry's first line, after the sender and the indent dots:
# "pjsua_core.c ...TX 500 bytes Request msg REGISTER/cseq=2435 (tdta0x5...) to UDP ...:".
_SIP_MESSAGE = re.compile(r"^[^\n]*?\b(TX|RX) \d+ bytes (Request|Response) msg")
# "sending DTMF 4929#", "dialing DTMF 12", "Sending DTMF digit id 4", "Received DTMF
# digit 4, vol=10": the keys may be a card number or a PIN.
_DTMF = re.compile(r"(\bDTMF(?:[ \t]+digit)?(?:[ \t]+id)?[ \t]+)[0-9A-Da-d*#]+(?=$|[\s,;.)])",
                   re.IGNORECASE | re.MULTILINE)

_POINTER = re.compile(r"0x[0-9A-Fa-f]+")
# Private-use characters around a pointer's index while the rest is redacted.
_HIDDEN = ("\ue000", "\ue001")
_HIDDEN_POINTER = re.compile(f"{_HIDDEN[0]}([0-9]+){_HIDDEN[1]}")


def redact(text: str) -> str:
    """Remove authorization header values and anything that looks like a password."""
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}: <removed>", text)
    text = _AUTH_PARAMS.sub(lambda m: f'{m.group(1)}="<removed>"', text)
    return _PASSWORD.sub(lambda m: f"{m.group(1)}<removed>", text)


def without_identities(text: str) -> str:
    """A pjsip line with the parties' names, numbers and URI users and any DTMF digits
    replaced (pure, any thread).

    pjsip's object names (``tsx0x55a7ae600198``) are kept whole: they tie the lines of one
    transaction or dialog together, and their digits are no phone number.
    """
    pointers: list[str] = []

    def hide(match: re.Match[str]) -> str:
        pointers.append(match.group())
        return f"{_HIDDEN[0]}{len(pointers) - 1}{_HIDDEN[1]}"

    def show(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return pointers[index] if index < len(pointers) else match.group()

    text = _POINTER.sub(hide, _DTMF.sub(lambda m: f"{m.group(1)}{DIGITS}", text))
    return _HIDDEN_POINTER.sub(show, redact_identities(text))


def python_level(pj_level: int) -> int:
    """pjlib levels 1 (error) .. 6 (trace) as logging levels."""
    if pj_level <= 1:
        return logging.ERROR
    if pj_level == 2:
        return logging.WARNING
    if pj_level == 3:
        return logging.INFO
    return logging.DEBUG


class PjLogWriter(pj.LogWriter):  # type: ignore[misc]
    """Sends pjsua2 log entries to the ``pjsip`` logger (any pjlib thread)."""

    def __init__(self, sip_trace: bool) -> None:
        super().__init__()
        self.sip_trace = sip_trace

    def write(self, entry: pj.LogEntry) -> None:
        try:
            text = str(entry.msg).rstrip()
            if _SIP_MESSAGE.search(text):
                if not self.sip_trace:
                    return
                log.debug("%s", redact(text))
                return
            level = python_level(int(entry.level))
            if log.isEnabledFor(level):
                log.log(level, "%s", without_identities(redact(text)))
        except Exception:  # never let logging raise into pjlib
            logging.getLogger(__name__).exception("log writer failed")

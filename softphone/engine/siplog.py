"""pjsua2 log output routed into Python logging, with secrets removed.

``PjLogWriter.write`` is called by pjlib on whichever thread logs (mostly the main
pjsua thread, sometimes the pjmedia clock thread); it only formats and hands the line
to ``logging``, which is thread-safe.
"""

from __future__ import annotations

import logging
import re

import pjsua2 as pj

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
_SIP_MESSAGE = re.compile(r"^(TX|RX) \d+ bytes (Request|Response) msg", re.MULTILINE)


def redact(text: str) -> str:
    """Remove authorization header values and anything that looks like a password."""
    text = _AUTH_HEADER.sub(lambda m: f"{m.group(1)}: <removed>", text)
    text = _AUTH_PARAMS.sub(lambda m: f'{m.group(1)}="<removed>"', text)
    return _PASSWORD.sub(lambda m: f"{m.group(1)}<removed>", text)


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
            log.log(python_level(int(entry.level)), "%s", redact(text))
        except Exception:  # never let logging raise into pjlib
            logging.getLogger(__name__).exception("log writer failed")

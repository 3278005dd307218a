"""Rotating logs in the profile, with secrets scrubbed from every record. Imports no Qt."""

from __future__ import annotations

import logging
import logging.handlers
import re
from pathlib import Path

_SECRET_PATTERNS = (
    # SIP digest credentials: keep the header name, drop its value.
    (re.compile(r"((?:Proxy-)?Authorization\s*:)[^\r\n]*", re.IGNORECASE), r"\1 <removed>"),
    (re.compile(r"(password\s*[=:]\s*)\S+", re.IGNORECASE), r"\1<removed>"),
    (re.compile(r"(auth_pass=)[^;\s>]+", re.IGNORECASE), r"\1<removed>"),
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+"), r"\1<removed>"),
)


def scrub(text: str) -> str:
    """``text`` with credentials removed."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class ScrubbingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return scrub(super().format(record))


def configure(log_dir: Path, level: str = "info", file_name: str = "softphone.log") -> Path:
    """Log to a rotating file in ``log_dir`` (and warnings to stderr)."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / file_name
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, "_softphone", False):
            root.removeHandler(handler)
            handler.close()
    formatter = ScrubbingFormatter("%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s")
    file_handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    file_handler.setFormatter(formatter)
    console = logging.StreamHandler()
    console.setLevel(logging.WARNING)
    console.setFormatter(formatter)
    handlers: tuple[logging.Handler, ...] = (file_handler, console)
    for handler in handlers:
        handler._softphone = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    return path

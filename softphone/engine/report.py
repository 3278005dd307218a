"""Turning exceptions in callbacks into logged tracebacks and ``EngineError`` events.

pjsua2 (SWIG) prints and swallows exceptions raised in Python callbacks, so every
callback body is wrapped with :func:`guarded`. Usable from any thread: the event sink
is a thread-safe queue.
"""

from __future__ import annotations

import functools
import logging
import traceback
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from softphone.protocol import EngineError, Event
from softphone.redact import redact

log = logging.getLogger(__name__)

P = ParamSpec("P")
R = TypeVar("R")

EventSink = Callable[[Event], None]


def _drop(event: Event) -> None:
    # The event's type and call, never the event: it may name the caller.
    log.debug("event dropped before the sink was set: %s of call %s",
              type(event).__name__, getattr(event, "call_id", "-"))


_sink: list[EventSink] = [_drop]


def set_sink(sink: EventSink) -> None:
    """Where bug reports go (main thread, at start-up)."""
    _sink[0] = sink


def report_bug(where: str, exc: BaseException) -> None:
    """Log ``exc`` with its traceback and emit ``EngineError(kind="bug")`` (any thread).

    Names, numbers and SIP users an exception's text may quote are removed from both: the
    app logs the event too.
    """
    details = redact("".join(traceback.format_exception(exc)))
    reason = redact(str(exc))
    log.error("bug in %s: %s\n%s", where, reason, details)
    _sink[0](EngineError(kind="bug", message=f"Internal error in {where}: {reason}",
                         details=details))


def guarded(func: Callable[P, R | None]) -> Callable[P, R | None]:
    """Wrap a callback so an exception is reported instead of swallowed by SWIG."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | None:
        try:
            return func(*args, **kwargs)
        except Exception as exc:
            report_bug(func.__qualname__, exc)
            return None

    return wrapper

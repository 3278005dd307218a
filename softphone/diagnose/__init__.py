"""The pre-shift check (``softphone diagnose``): results, the runner and the report.

Each check (``softphone.diagnose.checks``) looks at one thing -- settings, keyring, audio
devices, microphone level, SIP server, registration, TLS certificate, NAT, CRM, cache,
disk -- and answers with a ``CheckResult``: ok, warning, failed or skipped, in plain
words. ``run_checks`` runs them all at once, each on its own daemon thread with its own
time limit, so a server that does not answer costs at most that limit and the whole
run stays under ``TOTAL_LIMIT`` seconds.

Exit status of ``softphone diagnose``: 0 when no check failed (warnings allowed), 1 when
one did. Imports no Qt.
"""

from __future__ import annotations

import json
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["ok", "warning", "failed", "skipped"]
STATUSES: tuple[Status, ...] = ("ok", "warning", "failed", "skipped")

#: No run takes longer than this, whatever the servers do.
TOTAL_LIMIT = 28.0

SYMBOLS: dict[Status, str] = {"ok": "✓", "warning": "!", "failed": "✗", "skipped": "-"}
ASCII_SYMBOLS: dict[Status, str] = {"ok": "OK", "warning": "!!", "failed": "XX",
                                    "skipped": "--"}


@dataclass(frozen=True)
class CheckResult:
    """What one check found. ``details`` is JSON-ready and never holds a secret."""

    name: str
    title: str
    status: Status
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "status": self.status,
                "message": self.message, "details": self.details,
                "seconds": round(self.seconds, 3)}

    def line(self, ascii_only: bool = False) -> str:
        """One report line: symbol, title and the plain-words result."""
        symbol = (ASCII_SYMBOLS if ascii_only else SYMBOLS)[self.status]
        return f"{symbol} {self.title}: {self.message}"


class Outcome(Exception):
    """Raised inside a check to end it with a status and message (any check thread)."""

    def __init__(self, status: Status, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details


@dataclass(frozen=True)
class Check:
    """One check: ``run`` returns a result or raises ``Outcome``; at most ``timeout`` s."""

    name: str
    title: str
    run: Callable[[], CheckResult | Outcome]
    timeout: float


def result_of(check: Check, status: Status, message: str, details: dict[str, Any] | None = None,
              seconds: float = 0.0) -> CheckResult:
    return CheckResult(check.name, check.title, status, message, details or {}, seconds)


def _run_one(check: Check, results: queue.Queue[CheckResult]) -> None:
    """The check's own daemon thread: run it and post the result, whatever happens."""
    started = time.monotonic()
    try:
        answer = check.run()
        if isinstance(answer, Outcome):
            raise answer
        result = CheckResult(check.name, check.title, answer.status, answer.message,
                             answer.details, time.monotonic() - started)
    except Outcome as outcome:
        result = result_of(check, outcome.status, outcome.message, outcome.details,
                           time.monotonic() - started)
    except Exception as exc:  # a bug in a check must not hide the others' results
        result = result_of(check, "failed", f"the check itself failed ({type(exc).__name__}: "
                                            f"{exc})", {}, time.monotonic() - started)
    results.put(result)


def run_checks(checks: Sequence[Check],
               on_result: Callable[[CheckResult], None] | None = None,
               should_stop: Callable[[], bool] = lambda: False) -> list[CheckResult]:
    """Run ``checks`` side by side; results in the checks' order.

    Blocks the calling thread (never the GUI thread) until every check answered or ran
    out of time; ``on_result`` is called on the calling thread as each one finishes. A
    check past its time limit is reported as failed and its thread left to end on its
    own (it is a daemon thread).
    """
    results: queue.Queue[CheckResult] = queue.Queue()
    started = time.monotonic()
    deadlines: dict[str, float] = {}
    for check in checks:
        deadlines[check.name] = started + min(check.timeout, TOTAL_LIMIT)
        threading.Thread(target=_run_one, args=(check, results), daemon=True,
                         name=f"diagnose-{check.name}").start()
    done: dict[str, CheckResult] = {}
    by_name = {check.name: check for check in checks}
    while len(done) < len(checks):
        pending = [name for name in by_name if name not in done]
        wait = min(deadlines[name] for name in pending) - time.monotonic()
        try:
            result = results.get(timeout=max(0.0, min(wait, 0.2)))
        except queue.Empty:
            now = time.monotonic()
            stop = should_stop()
            for name in pending:
                if now >= deadlines[name] or stop:
                    check = by_name[name]
                    words = ("stopped" if stop else
                             f"no answer within {check.timeout:g} seconds")
                    result = result_of(check, "failed", words, {}, now - started)
                    done[name] = result
                    if on_result is not None:
                        on_result(result)
            continue
        if result.name in done:
            continue  # it answered after its time was up: the timeout stands
        done[result.name] = result
        if on_result is not None:
            on_result(result)
    return [done[check.name] for check in checks]


def exit_status(results: Sequence[CheckResult]) -> int:
    """0 when nothing failed (warnings allowed), 1 when a check failed."""
    return 1 if any(r.status == "failed" for r in results) else 0


def summary(results: Sequence[CheckResult]) -> str:
    counts = {status: sum(1 for r in results if r.status == status) for status in STATUSES}
    if counts["failed"]:
        head = f"{counts['failed']} check(s) failed"
    elif counts["warning"]:
        head = "Ready, with warnings"
    else:
        head = "Ready"
    return (f"{head}: {counts['ok']} ok, {counts['warning']} warning(s), "
            f"{counts['failed']} failed, {counts['skipped']} skipped.")


def format_report(results: Sequence[CheckResult], ascii_only: bool = False) -> str:
    """The readable report: one line per check, then a summary line."""
    lines = [result.line(ascii_only) for result in results]
    return "\n".join([*lines, "", summary(results)]) + "\n"


def report_json(results: Sequence[CheckResult]) -> str:
    return json.dumps([result.as_json() for result in results], indent=2, ensure_ascii=False)


def can_print_symbols(stream: Any = None) -> bool:
    """Whether ``stream`` (default stdout) can print ✓ and ✗."""
    encoding = getattr(stream or sys.stdout, "encoding", None) or "ascii"
    try:
        "".join(SYMBOLS.values()).encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True

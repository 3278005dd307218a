"""Exceptions in callbacks become EngineError(kind="bug") instead of vanishing in SWIG."""

from __future__ import annotations

from softphone import protocol as P
from softphone.engine import report


def test_guarded_reports_and_swallows() -> None:
    seen: list[P.Event] = []
    report.set_sink(seen.append)

    @report.guarded
    def on_call_state(value: int) -> int:
        return 10 // value

    assert on_call_state(2) == 5
    assert on_call_state(0) is None
    (event,) = seen
    assert isinstance(event, P.EngineError) and event.kind == "bug"
    assert "on_call_state" in event.message
    assert "ZeroDivisionError" in event.details

"""Registration outcomes in plain words."""

from __future__ import annotations

import pytest

from softphone.engine.sip import classify_registration


def test_registered_and_unregistered() -> None:
    assert classify_registration(200, "OK", 300).state == "registered"
    assert classify_registration(200, "OK", 0).state == "unregistered"


@pytest.mark.parametrize("code", [401, 403, 407])
def test_authentication_failed(code: int) -> None:
    event = classify_registration(code, "Unauthorized", 0)
    assert (event.state, event.reason, event.code) == ("failed", "authentication failed", code)


@pytest.mark.parametrize("code", [408, 503, 502, 70, 0])
def test_unreachable(code: int) -> None:
    event = classify_registration(code, "Request Timeout", 0)
    assert (event.state, event.reason) == ("failed", "server unreachable")


def test_other_refusals_say_the_code() -> None:
    event = classify_registration(404, "Not Found", 0)
    assert event.state == "failed" and "404 Not Found" in event.reason

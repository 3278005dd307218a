"""The phone's call list, driven by engine events as the engine sends them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from softphone import protocol as P
from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore
from softphone.phone import Phone
from softphone.settings import Settings
from softphone.storage.history import CallHistory


@pytest.fixture
def phone(tmp_path: Path) -> Iterator[Phone]:
    worker = CacheStore(tmp_path / "cache.sqlite3", CacheKey(new_key_hex()))
    phone = Phone(Settings(tmp_path / "settings.toml"), CallHistory(worker), lambda: "pw")
    sent: list[P.Command] = []
    phone._supervisor.send = lambda command: sent.append(command) or True  # type: ignore[method-assign]
    yield phone
    worker.close()


CALLER = P.RemoteParty("Ann", "100", "sip:100@pbx")


def test_ringing_call_is_incoming_until_answered_then_in_history(phone: Phone) -> None:
    phone._handle_engine_event(P.IncomingCall("c1", CALLER))
    phone._handle_engine_event(P.CallStateChanged("c1", "early", "incoming", CALLER))
    assert phone.status()["calls"][0]["state"] == "incoming"
    phone._handle_engine_event(P.CallStateChanged("c1", "confirmed", "incoming", CALLER))
    phone._handle_engine_event(P.CallStateChanged("c1", "disconnected", "incoming", CALLER))
    assert phone.status()["calls"] == []
    (entry,) = phone.history.recent(5)
    assert entry.outcome == "answered" and entry.number == "100"


def test_a_late_report_about_an_ended_call_does_not_bring_it_back(phone: Phone) -> None:
    phone._handle_engine_event(P.IncomingCall("c1", CALLER))
    phone._handle_engine_event(P.CallStateChanged("c1", "disconnected", "incoming", CALLER))
    phone._handle_engine_event(P.CallStateChanged("c1", "confirmed", "incoming", CALLER))
    assert phone.status()["calls"] == []
    assert [e.outcome for e in phone.history.recent(5)] == ["missed"]


def test_redial_calls_the_last_number_dialled_also_after_a_restart(tmp_path: Path) -> None:
    worker = CacheStore(tmp_path / "cache.sqlite3", CacheKey(new_key_hex()))
    settings = Settings(tmp_path / "settings.toml")

    def phone_sending_to(sent: list[P.Command]) -> Phone:
        phone = Phone(settings, CallHistory(worker), lambda: "pw")
        phone._supervisor.send = lambda command: sent.append(command) or True  # type: ignore[method-assign]
        return phone

    try:
        sent: list[P.Command] = []
        first = phone_sending_to(sent)
        first.history.recent(1)  # the start-up read of the (empty) history is done
        assert first.redial() is None  # nothing dialled yet: nothing happens
        call_id = first.dial("0720 000 007")
        first._handle_engine_event(P.CallStateChanged(call_id, "disconnected", "outgoing",
                                                      P.RemoteParty(number="0720 000 007")))
        first._handle_engine_event(P.IncomingCall("c9", CALLER))  # a call in between
        first._handle_engine_event(P.CallStateChanged("c9", "disconnected", "incoming", CALLER))
        again = first.redial()
        assert again is not None and again != call_id
        dials = [c for c in sent if isinstance(c, P.Dial)]
        assert [d.target for d in dials] == [dials[0].target] * 2
        assert dials[0].target == "0720000007"

        sent_after_restart: list[P.Command] = []
        restarted = phone_sending_to(sent_after_restart)
        restarted.history.recent(1)  # its start-up read of the history is done
        assert restarted.redial() is not None
        (dial,) = [c for c in sent_after_restart if isinstance(c, P.Dial)]
        assert dial.target == dials[0].target
    finally:
        worker.close()


def test_engine_errors_are_logged_without_the_number_they_quote(
        phone: Phone, caplog: pytest.LogCaptureFixture) -> None:
    phone._handle_engine_event(P.EngineError(
        "user", '"0720 000 007x" is not a number or SIP address', "target=sip:0720000007@pbx"))
    assert phone.snapshot().last_error is not None  # the agent is still told in full
    logged = caplog.text
    assert "Engine reported user error" in logged
    assert "0720000007" not in logged and "0720 000 007" not in logged

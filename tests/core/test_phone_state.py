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

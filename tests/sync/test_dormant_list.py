"""The outbound list's data: dormant customers from the encrypted cache, each with their
latest call today from the call history and the call logs in the outbox. No Qt."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from softphone.agent import WrapUp, call_log
from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.store import CacheStore, CallRecord
from softphone.crm.schema import Change, Customer
from softphone.paths import Profile
from softphone.secrets import SecretStore
from softphone.settings import Settings
from softphone.storage.history import CallHistory, HistoryEntry
from softphone.sync.service import (
    DormantCustomer,
    LastCall,
    SyncService,
    start_of_day,
    with_last_calls,
)

# Noon local time, so "today" is the same day whatever the machine's time zone.
NOW = datetime.now().astimezone().replace(hour=12, minute=0, second=0, microsecond=0)
MORNING = NOW.replace(hour=9, minute=30).timestamp()


def customer(n: int, months_quiet: int | None, **fields: object) -> Customer:
    last = None if months_quiet is None else NOW - timedelta(days=31 * months_quiet)
    return Customer.model_validate({
        "id": f"c{n}", "name": f"Customer {n}", "type": "retail",
        "phones": [f"+4072100{n:04d}"], "updated_at": NOW, "last_order_at": last, **fields})


def entry(call_id: str, number: str, started: float, outcome: str,
          direction: str = "outgoing") -> HistoryEntry:
    answered = started + 5 if outcome == "answered" else None
    return HistoryEntry(call_id, direction, "", number, f"sip:{number}@pbx", started, answered,
                        started + 60, 55.0 if answered else 0.0, outcome)


@pytest.fixture
def profile(tmp_path: Path) -> Profile:
    profile = Profile.from_dir(tmp_path / "profile")
    profile.create()
    return profile


@pytest.fixture
def settings(profile: Profile) -> Settings:
    settings = Settings(profile.settings_file)
    settings.set("calls.default_region", "RO")
    return settings


@pytest.fixture
def service(tmp_path: Path, profile: Profile, settings: Settings) -> Iterator[SyncService]:
    cache = CacheStore(tmp_path / "cache.db", CacheKey(new_key_hex()))
    cache.ready(30)
    sync = SyncService(profile, settings, SecretStore(service="softphone-test-none"), cache)
    try:
        yield sync
    finally:
        sync.stop()
        cache.close()


def store(sync: SyncService, *customers: Customer) -> None:
    changes = [Change(id=c.id, customer=c) for c in customers]
    sync.cache.apply_page(changes, "1", False, frozenset(), NOW.timestamp()).result(10)


def rows(sync: SyncService) -> list[tuple[str, LastCall | None]]:
    return [(row.customer.id, row.last_call)
            for row in sync.dormant_list(now=NOW).result(10)]


def test_dormant_list_is_longest_quiet_first_with_no_calls_yet(service: SyncService) -> None:
    store(service, customer(1, 7), customer(2, None), customer(3, 2), customer(4, 13),
          customer(5, None, type="new"))
    assert rows(service) == [("c2", None), ("c4", None), ("c1", None)]


def test_the_setting_moves_the_cutoff(service: SyncService, settings: Settings) -> None:
    store(service, customer(1, 7), customer(3, 2), customer(4, 13))
    settings.set("customers.dormant_months", 12)
    assert [cid for cid, _ in rows(service)] == ["c4"]
    settings.set("customers.dormant_months", 1)
    assert [cid for cid, _ in rows(service)] == ["c4", "c1", "c3"]


def test_last_call_today_joins_the_history_and_the_call_log(service: SyncService) -> None:
    store(service, customer(1, 7), customer(2, 8), customer(3, 9))
    history = CallHistory(service.cache)
    yesterday = (start_of_day(NOW) - timedelta(hours=2)).timestamp()
    answered = entry("out-1", "+40721000001", MORNING, "answered")
    history.add_many([
        entry("out-0", "+40721000001", yesterday, "no answer"),  # not today
        answered,
        # Written nationally, as an agent may type it: still customer 2's number.
        entry("out-2", "0721 000 002", MORNING + 60, "no answer"),
        entry("out-3", "+40721000003", MORNING + 120, "busy"),
        entry("out-4", "+40721000003", MORNING + 180, "answered"),
    ]).result(10)
    log = call_log(answered, WrapUp("Callback requested", "call on Monday"),
                   customer_id="c1")
    service.queue_call_log(log).result(10)

    assert rows(service) == [
        ("c3", LastCall(MORNING + 180, "outgoing", "answered", "")),  # wrap-up not done yet
        ("c2", LastCall(MORNING + 60, "outgoing", "no answer", "")),
        ("c1", LastCall(MORNING, "outgoing", "answered", "Callback requested")),
    ]


def test_a_customer_who_ordered_since_leaves_the_list(service: SyncService) -> None:
    store(service, customer(1, 7), customer(2, 8))
    assert [cid for cid, _ in rows(service)] == ["c2", "c1"]
    store(service, customer(1, 0))  # the sync brings the new last order time
    assert [cid for cid, _ in rows(service)] == ["c2"]


def test_a_call_log_names_its_customer_among_several_on_one_number() -> None:
    shared = "+40721000009"
    first = customer(1, 7, phones=[shared])
    second = customer(2, 8, phones=[shared])
    history = CallRecord("out-1", "", shared, "outgoing", MORNING, "answered", "")
    logged = CallRecord("out-1", "c2", shared, "outgoing", MORNING, "", "Order taken")
    unknown = CallRecord("", "", "sip:+40721000009@pbx;user=phone", "incoming",
                         MORNING - 60, "missed", "")

    only_history = with_last_calls([first, second], [unknown, history], "RO")
    assert [row.last_call.result if row.last_call else None
            for row in only_history] == ["answered", "answered"]

    both = with_last_calls([first, second], [unknown, history, logged], "RO")
    assert both == [
        DormantCustomer(first, LastCall(MORNING - 60, "incoming", "missed", "")),
        DormantCustomer(second, LastCall(MORNING, "outgoing", "answered", "Order taken")),
    ]


def test_call_logs_of_other_days_and_other_customers_are_left_out(
        service: SyncService) -> None:
    store(service, customer(1, 7))
    old = entry("old", "+40721000001", (NOW - timedelta(days=1)).timestamp(), "answered")
    service.queue_call_log(call_log(old, WrapUp("Wrong number"), customer_id="c1")).result(10)
    other = entry("other", "+40721000099", MORNING, "answered")
    service.queue_call_log(call_log(other, WrapUp("Complaint"), customer_id="c9")).result(10)
    assert rows(service) == [("c1", None)]

"""The screen-pop against the real CRM server as a process: the card from the cache at
once, refreshed from the CRM when it is up, from the cache alone when it is down; several
matches, unknown and withheld numbers, numbers in every shape; a new caller queued while
offline and sent once; the last order time and the dormant list."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from softphone.cache.store import SENT
from softphone.crm.schema import CustomerLead
from softphone.screenpop import ScreenPopResult, ScreenPopService
from softphone.sync.service import ONLINE, SyncService
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.net import wait_until
from tests.sync.helpers import customer, order, phone_of, product, profile_for, secrets_with

pytestmark = pytest.mark.timeout(90)

SHARED = "+40721111111"  # the office number of c2 and c3
CUSTOMERS = [customer(1, name="Ana Popescu"), customer(2, phones=[SHARED]),
             customer(3, phones=[SHARED]), customer(4)]


class Results:
    """Every result the service delivers, from whichever thread."""

    def __init__(self, service: ScreenPopService) -> None:
        self._lock = threading.Lock()
        self._items: list[ScreenPopResult] = []
        service.add_listener(self._add)

    def _add(self, result: ScreenPopResult) -> None:
        with self._lock:
            self._items.append(result)

    def of(self, call_id: str) -> list[ScreenPopResult]:
        with self._lock:
            return [r for r in self._items if r.call_id == call_id]

    def final(self, call_id: str) -> list[ScreenPopResult]:
        """All results of ``call_id`` once its final one arrived (bounded wait)."""
        wait_until(lambda: any(r.final for r in self.of(call_id)), timeout=15,
                   message=lambda: f"no final result for {call_id}: {self.of(call_id)}")
        return self.of(call_id)


@dataclass
class Desk:
    crm: CrmServer
    sync: SyncService
    pop: ScreenPopService
    results: Results


@contextmanager
def desk(tmp_path: Path, factory: CrmServerFactory) -> Iterator[Desk]:
    """A CRM server with the test customers, and an agent's app synced with it."""
    crm = factory()
    crm.import_data({"customers": CUSTOMERS, "products": [product(1)]})
    profile, settings = profile_for(tmp_path / "app", crm.url, **{"calls.default_region": "RO"})
    sync = SyncService(profile, settings, secrets_with(crm.token))
    pop = ScreenPopService(sync, settings)
    try:
        sync.start()
        wait_until(lambda: sync.state().connection == ONLINE
                   and sync.state().customers_cached == len(CUSTOMERS), timeout=20,
                   message=lambda: f"not synced: {sync.state()}")
        yield Desk(crm, sync, pop, Results(pop))
    finally:
        pop.close()
        sync.stop()


def _post(crm: CrmServer, path: str, key: str, body: dict[str, Any]) -> None:
    with crm.client() as http:
        response = http.post(path, json=body, headers={"Idempotency-Key": key})
        assert response.status_code == 201, response.text


def test_the_card_comes_from_the_cache_then_the_crm_and_offline_from_the_cache(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    with desk(tmp_path, crm_server_factory) as d:
        _post(d.crm, "/orders", "o-1", order("c1", note="fresh").model_dump(mode="json"))
        _post(d.crm, "/call-logs", "l-1", {
            "customer_id": "c1", "direction": "inbound", "started_at": "2026-11-20T10:00:00Z",
            "duration_seconds": 70, "disposition": "Order taken"})
        d.pop.on_incoming("call-1", "sip:0720000001@pbx.example.com", "Ana")
        cached, fresh = d.results.final("call-1")
        assert (cached.source, cached.final, [c.id for c in cached.matches]) == (
            "cache", False, ["c1"])
        assert cached.e164 == "+40720000001" and cached.fetched_at is not None
        assert cached.recent_orders == []  # never fetched yet
        assert (fresh.source, fresh.final, fresh.refresh_error) == ("crm", True, "")
        assert [o.notes for o in fresh.recent_orders] == ["fresh"]
        assert [c.disposition for c in fresh.recent_calls] == ["Order taken"]
        assert fresh.matches[0].last_order_at == fresh.recent_orders[0].created_at
        assert d.pop.current() == fresh
        d.pop.mark_shown("call-1", time.monotonic())
        status = d.pop.status_json()
        assert status is not None
        assert (status["call_id"], status["customer_id"], status["source"]) == (
            "call-1", "c1", "crm")
        assert 0 < status["shown_ms"] < 15_000
        # What the CRM sent is kept: with the server gone the card still shows it.
        wait_until(lambda: d.sync.recent_for_customer("c1").result(), timeout=5)
        d.crm.stop()
        d.pop.on_incoming("call-2", "+40720000001", "")
        first, offline = d.results.final("call-2")
        assert offline == replace(first, final=True, refresh_error=offline.refresh_error)
        assert (offline.source, offline.matches[0].name) == ("cache", "Ana Popescu")
        assert "unreachable" in offline.refresh_error
        assert [o.notes for o in offline.recent_orders] == ["fresh"]
        assert offline.recent_fetched_at is not None


def test_several_matches_unknown_and_withheld_numbers_and_every_shape(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    with desk(tmp_path, crm_server_factory) as d:
        d.pop.on_incoming("shared", "0721 111 111", "Reception")
        for result in d.results.final("shared"):
            assert sorted(c.id for c in result.matches) == ["c2", "c3"]
            assert result.customer_id is None
        d.pop.select_customer("shared", "c3")
        assert (d.pop.status_json() or {})["customer_id"] == "c3"

        d.pop.on_incoming("unknown", "+40 729 999 999", "")
        assert [(r.source, r.matches) for r in d.results.final("unknown")] == [
            ("none", []), ("none", [])]

        for n, remote in enumerate(["anonymous", "", "sip:anonymous@anonymous.invalid",
                                    "Restricted"]):
            d.pop.on_incoming(f"withheld-{n}", remote, "")
            (withheld,) = d.results.final(f"withheld-{n}")
            assert (withheld.withheld, withheld.source, withheld.e164) == (True, "none", None)

        d.pop.on_incoming("not-a-number", "201", "Front desk")
        (internal,) = d.results.final("not-a-number")
        assert (internal.withheld, internal.e164, internal.source) == (False, None, "none")

        shapes = ["0720000001", "0720 000 001", "(0720) 000-001", "+40 720 000 001",
                  "0040720000001", "tel:+40720000001", "sip:+40720000001@pbx;user=phone"]
        for n, shape in enumerate(shapes):
            d.pop.on_outgoing(f"shape-{n}", shape)
            first = d.results.final(f"shape-{n}")[0]
            assert (first.e164, [c.id for c in first.matches], first.direction) == (
                "+40720000001", ["c1"], "outbound"), shape


def test_a_lead_queued_offline_is_sent_once_and_orders_move_the_dormant_list(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    with desk(tmp_path, crm_server_factory) as d:
        d.crm.stop()
        lead = CustomerLead(name="Nguyễn Thị Lan", phones=["+40729876543"], agent="Mai",
                            call_id="unknown-1", notes="Asked for the price list")
        item = d.sync.queue_lead(lead).result()
        wait_until(lambda: d.sync.outbox().result()[0].attempts >= 1, timeout=15)
        d.crm.start()
        d.sync.sync_now()
        wait_until(lambda: d.sync.outbox().result()[0].status == SENT, timeout=20)
        (sent,) = d.sync.outbox().result()
        assert (sent.id, sent.kind) == (item.id, "lead") and sent.server_id
        with d.crm.client() as http:
            found = http.get("/customers/lookup", params={"phone": "+40729876543"}).json()
        assert [c["id"] for c in found["customers"]] == [sent.server_id]
        assert found["customers"][0]["type"] == "new"
        # The next pass of the feed brings the new customer to the cache.
        wait_until(lambda: d.sync.find_customers("0729 876 543").result(), timeout=10)

        assert {c.id for c in d.sync.dormant().result()} == {"c1", "c2", "c3", "c4"}
        d.sync.queue_order(order("c4", note="back again"))
        wait_until(lambda: (c := d.sync.find_customers(phone_of(4)).result())
                   and c[0].last_order_at is not None, timeout=20)
        assert {c.id for c in d.sync.dormant().result()} == {"c1", "c2", "c3"}


def test_calls_share_one_crm_connection_that_survives_a_crm_restart(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    with desk(tmp_path, crm_server_factory) as d:
        made = []
        make_client = d.sync.make_client

        def counting(timeout: float | None = None) -> Any:
            made.append(timeout)
            return make_client(timeout)

        d.sync.make_client = counting  # type: ignore[method-assign]
        for number in ("1", "4"):
            d.pop.on_incoming(f"call-{number}", f"+4072000000{number}", "")
            assert d.results.final(f"call-{number}")[-1].source == "crm"
        assert len(made) == 1  # the second call reused the first one's client

        d.crm.stop()
        d.crm.start()
        d.pop.on_incoming("call-5", "+40720000001", "")
        fresh = d.results.final("call-5")[-1]
        assert (fresh.source, fresh.refresh_error) == ("crm", "")

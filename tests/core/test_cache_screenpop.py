"""The cache's parts for the screen-pop and the order form: recent records, the dormant
list, order drafts (encrypted, surviving a restart) and migrations matching the models."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session

from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.models import CacheBase
from softphone.cache.store import CacheStore
from softphone.crm.schema import CallLog, Change, Customer, Order
from softphone.sync.service import months_before

NAME = "Θεοδώρα Παπαδοπούλου"
NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


def customer(n: int, **fields: object) -> Customer:
    return Customer.model_validate({"id": f"c{n}", "name": f"Customer {n}", "type": "retail",
                                    "phones": [f"+4072100{n:04d}"], "updated_at": NOW,
                                    **fields})


def order(customer_id: str, day: int) -> Order:
    return Order.model_validate({
        "id": str(day), "number": f"SO-{day:06d}", "customer_id": customer_id,
        "status": "received", "created_at": NOW - timedelta(days=day),
        "lines": [{"sku": "TEA-1", "quantity": 1, "unit_price": "2.00", "line_total": "2.00"}],
        "subtotal": "2.00", "tax": "0.00", "total": "2.00",
        "delivery": {"method": "pickup", "date": "2026-12-01"}, "payment_method": "cash"})


def call(customer_id: str) -> CallLog:
    return CallLog.model_validate({
        "id": "1", "customer_id": customer_id, "direction": "inbound", "started_at": NOW,
        "duration_seconds": 60, "disposition": "order taken", "created_at": NOW})


@pytest.fixture
def key() -> CacheKey:
    return CacheKey(new_key_hex())


@pytest.fixture
def cache(tmp_path: Path, key: CacheKey) -> Iterator[CacheStore]:
    store = CacheStore(tmp_path / "cache.db", key)
    store.ready(30)
    yield store
    store.close()


def test_migrations_match_the_models(cache: CacheStore) -> None:
    def differences(session: Session) -> list[object]:
        context = MigrationContext.configure(session.connection(),
                                             opts={"compare_type": True})
        return list(compare_metadata(context, CacheBase.metadata))

    assert cache.submit(differences).result() == []


def test_recent_records_are_kept_per_customer_and_go_with_the_customer(
        cache: CacheStore) -> None:
    ana, bob = customer(1), customer(2, region="south")
    cache.store_fetched([ana, bob], {"c1": ([order("c1", 3), order("c1", 9)], [call("c1")]),
                                     "c2": ([order("c2", 1)], [])},
                        frozenset({"north", ""}), time.time()).result()
    matches = cache.find_with_recent("+40721000001").result()
    assert [c.id for c in matches.customers] == ["c1"]
    assert [o.number for o in matches.recent["c1"].orders] == ["SO-000003", "SO-000009"]
    assert [c.disposition for c in matches.recent["c1"].calls] == ["order taken"]
    assert cache.find("+40721000002").result() == []  # outside the regions kept
    assert cache.recent("c2").result() is None
    # A change from the feed keeps the recent records; a deletion removes them.
    cache.apply_page([Change(id="c1", customer=ana)], "5", False, frozenset(), 1.0).result()
    assert cache.recent("c1").result() is not None
    cache.apply_page([Change(id="c1", deleted=True)], "6", False, frozenset(), 1.0).result()
    assert cache.recent("c1").result() is None


def test_dormant_customers_are_those_without_a_recent_order(cache: CacheStore) -> None:
    before = months_before(NOW, 6)
    assert before == datetime(2026, 5, 24, 12, tzinfo=UTC)
    assert months_before(datetime(2026, 8, 31, tzinfo=UTC), 6) == datetime(2026, 2, 28,
                                                                           tzinfo=UTC)
    customers = [
        customer(1, last_order_at=NOW - timedelta(days=30)),  # ordered lately
        customer(2, last_order_at=NOW - timedelta(days=400)),
        customer(3),  # no order known
        customer(4, type="new"),  # a first-time caller waiting for a manager
        customer(5, last_order_at=NOW - timedelta(days=200), type="key"),
    ]
    changes = [Change(id=c.id, customer=c) for c in customers]
    cache.apply_page(changes, "5", False, frozenset(), time.time()).result()
    dormant = cache.dormant_customers(before, 10).result()
    assert [c.id for c in dormant] == ["c3", "c2", "c5"]
    assert [c.id for c in cache.dormant_customers(before, 1).result()] == ["c3"]


def test_drafts_survive_a_restart_and_are_not_in_clear(tmp_path: Path, key: CacheKey) -> None:
    path = tmp_path / "drafts.db"
    document = f'{{"customer": "{NAME}", "lines": [{{"sku": "TEA-1", "quantity": 3}}]}}'
    store = CacheStore(path, key)
    store.save_draft("d1", "c1", '{"lines": []}', 1.0).result()
    store.save_draft("d1", "c1", document, 2.0).result()  # autosave replaces it
    store.save_draft("d2", "c2", "{}", 3.0).result()
    store.close()
    files = [p for p in tmp_path.iterdir() if p.name.startswith("drafts.db")]
    for file in files:
        content = file.read_bytes()
        assert NAME.encode() not in content and b"TEA-1" not in content, file
    store = CacheStore(path, key)
    try:
        drafts = store.load_drafts().result()
        assert [(d.draft_id, d.customer_id, d.updated_at) for d in drafts] == [
            ("d2", "c2", 3.0), ("d1", "c1", 2.0)]
        assert drafts[1].data == document
        store.delete_draft("d2").result()
        assert [d.draft_id for d in store.load_drafts().result()] == ["d1"]
    finally:
        store.close()

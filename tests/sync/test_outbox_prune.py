"""Sent outbox records are deleted once older than the bound (``cache.retention_days``,
at least two days), on the cache's worker during a sync pass; queued and refused records
stay whatever their age, and today's call logs still give the outbound list its outcomes.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from softphone.cache.files import CacheKey, new_key_hex
from softphone.cache.models import OutboxRow
from softphone.cache.store import NEEDS_ATTENTION, QUEUED, SENT, CacheStore
from softphone.crm.schema import CallLogCreate
from softphone.sync.runner import DAY, MIN_SENT_KEEP_DAYS, sent_kept_after
from softphone.sync.service import SyncService, start_of_day
from tests.peers.crm_server import CrmServerFactory
from tests.sync.helpers import customers, order, product, secrets_with, sync_service

NOW = time.time()
OLD = NOW - 10 * DAY


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[CacheStore]:
    store = CacheStore(tmp_path / "cache.db", CacheKey(new_key_hex()))
    store.ready(30)
    try:
        yield store
    finally:
        store.close()


def _statuses(cache: CacheStore) -> dict[int, str]:
    return {item.id: item.status for item in cache.outbox().result(10)}


def test_only_records_sent_before_the_bound_go(cache: CacheStore) -> None:
    body = order("c1").model_dump(mode="json")

    def queued(made: float) -> int:
        return cache.enqueue("order", body, "c1", made).result(10).id

    sent_long_ago, refused, waiting, made_long_ago_sent_now, recent = (
        queued(OLD), queued(OLD), queued(OLD), queued(OLD), queued(NOW))
    cache.mark_sent(sent_long_ago, "o1", "N-1", OLD + 60).result(10)
    cache.mark_needs_attention(refused, "no such sku").result(10)
    cache.mark_sent(made_long_ago_sent_now, "o2", "N-2", NOW).result(10)
    cache.mark_sent(recent, "o3", "N-3", NOW).result(10)

    assert cache.prune_sent(NOW - 5 * DAY).result(10) == 1
    assert _statuses(cache) == {refused: NEEDS_ATTENTION, waiting: QUEUED,
                                made_long_ago_sent_now: SENT, recent: SENT}
    assert cache.prune_sent(NOW - 5 * DAY).result(10) == 0
    assert cache.counts().result(10).outbox_waiting == 1


def test_the_bound_follows_the_retention_setting_and_keeps_today() -> None:
    assert sent_kept_after(NOW, 30) == NOW - 30 * DAY
    assert sent_kept_after(NOW, 1) == NOW - MIN_SENT_KEEP_DAYS * DAY
    today = start_of_day(datetime.fromtimestamp(NOW, UTC)).timestamp()
    assert sent_kept_after(NOW, 1) < today
    assert NOW - sent_kept_after(NOW, 1) > 25 * 3600  # the longest local day


def _backdate(cache: CacheStore, ids: Sequence[int], moment: float) -> None:
    def work(session: Session) -> None:
        session.execute(update(OutboxRow).where(OutboxRow.id.in_(ids))
                        .values(created_at=moment, sent_at=moment))

    cache.submit(work).result(10)


def _call(customer_id: str, started: datetime, disposition: str) -> CallLogCreate:
    return CallLogCreate(customer_id=customer_id, direction="outbound", duration_seconds=40,
                         started_at=started, disposition=disposition)


def test_a_pass_prunes_old_sent_records_and_keeps_todays_outcomes(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": customers(0, 5), "products": [product(1)]})
    moment = datetime.now(UTC)
    settings = {"cache.retention_days": 1, "calls.default_region": "RO"}
    with sync_service(tmp_path / "app", crm.url, secrets_with(crm.token),
                      **settings) as service:
        cache = service.cache
        old_order = service.queue_order(order("c1", note="old")).result(10).id
        old_call = service.queue_call_log(
            _call("c3", moment - timedelta(days=10), "Wrong number")).result(10).id
        refused = cache.enqueue("order", order("c1", sku="NO-SUCH-SKU").model_dump(
            mode="json"), "c1", OLD).result(10).id
        today_call = service.queue_call_log(
            _call("c2", moment, "Call back on Tuesday")).result(10).id
        first = service.run_once()
        assert (first.outbox_sent, first.outbox_failed, first.outbox_pruned) == (3, 1, 0)

        _backdate(cache, [old_order, old_call], OLD)
        late = cache.enqueue("order", order("c1", note="late").model_dump(mode="json"),
                             "c1", OLD).result(10).id  # made offline long ago, sent now
        second = service.run_once()

        assert (second.outbox_sent, second.outbox_pruned) == (1, 2)
        assert _statuses(cache) == {refused: NEEDS_ATTENTION, today_call: SENT, late: SENT}
        assert _todays_outcome(service, "c2", moment) == "Call back on Tuesday"
        assert service.run_once().outbox_pruned == 0


def _todays_outcome(service: SyncService, customer_id: str, moment: datetime) -> str:
    rows = {row.customer.id: row for row in service.dormant_list(now=moment).result(10)}
    last = rows[customer_id].last_call
    assert last is not None
    assert last.started_at == pytest.approx(moment.timestamp())
    return last.disposition

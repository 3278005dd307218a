"""The change feed against the real CRM server: paged initial sync, incremental changes
with tombstones, ETags, and a server killed in the middle of a walk."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

import pytest

from softphone.crm.client import CrmClient, CrmUnavailable
from softphone.crm.schema import ChangePage
from softphone.sync.runner import SyncRunner
from softphone.sync.service import SyncService
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.net import wait_until
from tests.peers.postgres import PostgreSQL, postgres
from tests.sync.helpers import (
    PRICE_LISTS,
    customer,
    customers,
    phone_of,
    product,
    secrets_with,
    sync_service,
)

__all__ = ["postgres"]


class CountingClient(CrmClient):
    """Records the cursor of every change-feed request."""

    cursors: list[str | None]

    def changes(self, cursor: str | None, limit: int = 1000) -> ChangePage:
        self.cursors.append(cursor)
        return super().changes(cursor, limit)


def _runner(service: SyncService, crm: CrmServer, page_size: int) -> SyncRunner:
    service.cache.ready(10)
    runner = service.make_runner()
    runner.client.close()
    client = CountingClient(crm.url, crm.token, timeout=5)
    client.cursors = []
    runner.client = client
    runner.options = replace(runner.options, page_size=page_size)
    return runner


def _ids(service: SyncService) -> set[str]:
    return service.cache.customer_ids().result()


def test_initial_sync_in_pages_then_incremental_with_tombstones(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": customers(0, 230), "products": [product(n) for n in range(20)],
                     "price_lists": PRICE_LISTS})
    with sync_service(tmp_path / "app", crm.url, secrets_with(crm.token)) as service:
        runner = _runner(service, crm, page_size=50)
        first = runner.run_once()
        assert isinstance(runner.client, CountingClient)
        assert len(runner.client.cursors) == 5  # 50+50+50+50+30
        assert (first.full_walk, first.customers_changed, first.products) == (True, 230, 20)
        assert first.price_lists_updated
        assert _ids(service) == {f"c{n}" for n in range(230)}
        assert len(service.cache.products().result()) == 20

        again = runner.run_once()
        assert (again.full_walk, again.customers_changed, again.customers_deleted) == (
            False, 0, 0)
        assert again.products is None  # unchanged: the ETag matched
        assert not again.price_lists_updated

        crm.import_data({"customers": [customer(5, name="Renamed", phones=[phone_of(9999)]),
                                       *customers(230, 240)],
                         "delete_customers": ["c7", "c8"]})
        changed = runner.run_once()
        assert (changed.customers_changed, changed.customers_deleted) == (11, 2)
        assert _ids(service) == {f"c{n}" for n in range(240)} - {"c7", "c8"}
        assert [c.name for c in service.find_customers(phone_of(9999)).result()] == ["Renamed"]
        assert service.find_customers(phone_of(5)).result() == []
        assert service.find_customers(phone_of(7)).result() == []


def test_regions_limit_what_is_cached(tmp_path: Path,
                                      crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": [*customers(0, 10, region="North"),
                                   *customers(10, 20, region="south")]})
    with sync_service(tmp_path / "app", crm.url, secrets_with(crm.token),
                      **{"cache.regions": "north"}) as service:
        service.run_once()
        assert _ids(service) == {f"c{n}" for n in range(10)}
        crm.import_data({"customers": [customer(3, region="south")]})
        service.run_once()
        assert _ids(service) == {f"c{n}" for n in range(10)} - {"c3"}


def test_server_killed_mid_sync_resumes_from_the_cursor(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory()
    crm.import_data({"customers": customers(0, 6000)})
    with sync_service(tmp_path / "app", crm.url, secrets_with(crm.token)) as service:
        runner = _runner(service, crm, page_size=50)
        failure: list[BaseException] = []

        def sync() -> None:
            try:
                runner.run_once()
            except BaseException as exc:
                failure.append(exc)

        thread = threading.Thread(target=sync)
        thread.start()
        wait_until(lambda: (service.cache.position().result().walk_cursor or "0") != "0",
                   timeout=30, message="the walk never advanced")
        crm.kill()
        thread.join(15)
        assert not thread.is_alive()
        assert failure and isinstance(failure[0], CrmUnavailable), failure
        stopped_at = service.cache.position().result().walk_cursor
        assert stopped_at is not None, "the kill must land inside the walk"
        cached = _ids(service)
        assert 0 < len(cached) < 6000

        # While the server is down, one synced customer goes and a new one comes.
        crm.import_data({"customers": [customer(6000)], "delete_customers": ["c0"]})
        crm.start()
        assert isinstance(runner.client, CountingClient)
        runner.client.cursors.clear()
        runner.run_once()
        assert runner.client.cursors[0] == stopped_at  # resumed, not restarted
        assert _ids(service) == {f"c{n}" for n in range(1, 6001)}


@pytest.mark.timeout(120)
def test_initial_sync_from_a_server_on_postgresql(
        tmp_path: Path, crm_server_factory: CrmServerFactory, postgres: PostgreSQL) -> None:
    crm = crm_server_factory(db_url=postgres.create_database("sync_feed"), start=False)
    crm.start()
    crm.import_data({"customers": customers(0, 120), "price_lists": PRICE_LISTS,
                     "products": [product(1)]})
    with sync_service(tmp_path / "app", crm.url, secrets_with(crm.token)) as service:
        runner = _runner(service, crm, page_size=50)
        summary = runner.run_once()
        assert (summary.customers_changed, summary.products) == (120, 1)
        crm.import_data({"delete_customers": ["c1"]})
        assert runner.run_once().customers_deleted == 1
        assert _ids(service) == {f"c{n}" for n in range(120)} - {"c1"}

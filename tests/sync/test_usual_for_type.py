"""The products usual for each customer type, from the real CRM server to the encrypted
cache: downloaded with the catalogue, only when changed, kept across a restart, and an
older CRM without the endpoint (404) leaves none known without failing the sync."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from softphone.crm.schema import CustomerType
from softphone.sync.service import SyncService
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.faults import _closing, _Listener, _read_raw_request, http_reply
from tests.peers.net import LOOPBACK, wait_until
from tests.sync.helpers import (
    PRICE_LISTS,
    customer,
    order,
    product,
    profile_for,
    secrets_with,
    sync_service,
)

pytestmark = pytest.mark.timeout(120)

USUAL_PATH = b"/api/v1/products/usual-for-type"
# What the reference server answers for a path it does not have.
NOT_FOUND = b'{"code": "not_found", "message": "Not Found", "fields": {}}'


class OlderCrm(_Listener):
    """The CRM as a server from before ``/products/usual-for-type``: a proxy in front of
    the real one answering that path with a 404, everything else passed through.
    ``refused`` counts those 404s."""

    def __init__(self, upstream_port: int) -> None:
        super().__init__()
        self.upstream_port = upstream_port
        self.refused = 0

    def handle(self, conn: socket.socket) -> None:
        request = _read_raw_request(conn)
        if request is None:
            return
        if request.split(b" ", 2)[1].split(b"?")[0] == USUAL_PATH:
            self.refused += 1
            conn.sendall(http_reply(404, NOT_FOUND))
            return
        with socket.create_connection((LOOPBACK, self.upstream_port), timeout=30) as up:
            up.sendall(_closing(request))
            while chunk := up.recv(65536):
                conn.sendall(chunk)


def _crm(factory: CrmServerFactory) -> CrmServer:
    """A CRM whose retail customers order SKU-2 most, then SKU-1; its key account SKU-3."""
    crm = factory()
    crm.import_data({"price_lists": PRICE_LISTS, "products": [product(n) for n in range(1, 5)],
                     "customers": [customer(1), customer(2), customer(3, type="key")]})
    with crm.client() as http:
        for n, (who, sku) in enumerate([("c1", "SKU-2"), ("c2", "SKU-2"), ("c1", "SKU-1"),
                                        ("c3", "SKU-3")]):
            response = http.post("/orders", json=order(who, sku).model_dump(mode="json"),
                                 headers={"Idempotency-Key": f"usual-{n}"})
            assert response.status_code == 201, response.text
    return crm


def _usual(service: SyncService) -> dict[CustomerType, list[str]]:
    return service.cache.usual_for_type().result(10)


def test_stored_with_the_catalogue_and_downloaded_again_only_when_changed(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = _crm(crm_server_factory)
    secrets = secrets_with(crm.token)
    with sync_service(tmp_path / "app", crm.url, secrets) as service:
        assert _usual(service) == {}
        first = service.run_once()
        assert first.usual_for_type_updated
        usual = _usual(service)
        assert (usual[CustomerType.RETAIL], usual[CustomerType.KEY]) == (
            ["SKU-2", "SKU-1"], ["SKU-3"])
        assert usual[CustomerType.NEW] == []
        assert service.cache.position().result().usual_for_type_etag

        assert not service.run_once().usual_for_type_updated  # 304: nothing to store
        service.queue_order(order("c2", "SKU-1")).result(10)
        service.queue_order(order("c1", "SKU-4")).result(10)
        assert service.run_once().usual_for_type_updated  # the outbox goes first
        assert _usual(service)[CustomerType.RETAIL] == ["SKU-1", "SKU-2", "SKU-4"]
    # The encrypted cache keeps it for the next start, offline.
    with sync_service(tmp_path / "app", crm.url, secrets) as again:
        assert _usual(again)[CustomerType.RETAIL] == ["SKU-1", "SKU-2", "SKU-4"]


def test_an_older_crm_without_the_endpoint_means_none_known(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = _crm(crm_server_factory)
    profile, settings = profile_for(tmp_path / "app", crm.url)
    service = SyncService(profile, settings, secrets_with(crm.token))
    try:
        with OlderCrm(crm.port) as older:
            assert service.run_once().usual_for_type_updated
            assert _usual(service)[CustomerType.KEY] == ["SKU-3"]
            before = service.cache.position().result().last_success

            settings.set("crm.url", older.url)  # the CRM is replaced by an older one
            crm.import_data({"customers": [customer(4)]})
            summary = service.run_once()  # no error: the pass goes to its end
            assert older.refused == 1
            assert (summary.usual_for_type_updated, summary.customers_changed) == (True, 1)
            assert _usual(service) == {}
            position = service.cache.position().result()
            assert position.usual_for_type_etag is None
            assert position.last_success is not None and before is not None
            assert position.last_success > before

            again = service.run_once()
            assert older.refused == 2 and not again.usual_for_type_updated
    finally:
        service.stop()


def test_a_new_answer_marks_the_catalogue_updated_for_the_desk(
        tmp_path: Path, crm_server_factory: CrmServerFactory) -> None:
    crm = _crm(crm_server_factory)
    profile, settings = profile_for(tmp_path / "app", crm.url)
    service = SyncService(profile, settings, secrets_with(crm.token))
    try:
        service.start()
        wait_until(lambda: service.state().connection == "online", timeout=30)
        before = service.state().catalogue_updated
        assert before is not None
        service.queue_order(order("c3", "SKU-4")).result(10)
        service.queue_order(order("c3", "SKU-4", note="again")).result(10)
        service.sync_now()
        wait_until(lambda: service.state().catalogue_updated != before, timeout=30,
                   message=lambda: str(service.state()))
        assert _usual(service)[CustomerType.KEY] == ["SKU-4", "SKU-3"]
    finally:
        service.stop()

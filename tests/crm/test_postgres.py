"""The server on PostgreSQL 15: import, lookup, orders with replay, concurrent duplicates."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.crm import sample
from tests.peers.crm_server import CrmServerFactory
from tests.peers.postgres import PostgreSQL

pytestmark = pytest.mark.timeout(180)


def test_the_server_works_on_postgresql(postgres: PostgreSQL,
                                        crm_server_factory: CrmServerFactory) -> None:
    crm = crm_server_factory(db_url=postgres.url)
    crm.import_data({
        "price_lists": {**sample.PRICE_LISTS, "tax_percent": "10"},
        "customers": [sample.customer("PG-1", name="Parisa Ahmadi", phones=["+12125550170"]),
                      sample.customer("PG-2")],
        "products": [sample.product("TEA-1")],
        "delete_customers": [],
    })
    crm.import_data({"delete_customers": ["PG-2"]})
    with crm.client() as client:
        found = client.get("/customers/lookup", params={"phone": "(212) 555-0170"}).json()
        assert [c["name"] for c in found["customers"]] == ["Parisa Ahmadi"]
        changes = client.get("/changes", params={"limit": 1}).json()
        assert changes["has_more"] and changes["changes"][0]["id"] == "PG-1"
        rest = client.get("/changes", params={"cursor": changes["next_cursor"]}).json()
        assert rest["changes"] == [{"id": "PG-2", "deleted": True, "customer": None}]

        body = sample.order("PG-1", ("TEA-1", 3, "9.99"))
        first = client.post("/orders", json=body, headers={"Idempotency-Key": "pg-1"})
        assert first.status_code == 201, first.text
        assert (first.json()["subtotal"], first.json()["total"]) == ("29.97", "32.97")
        replay = client.post("/orders", json=body, headers={"Idempotency-Key": "pg-1"})
        assert replay.content == first.content

        # PostgreSQL runs these truly in parallel: the unique key decides, once.
        race = sample.order("PG-1", ("TEA-1", 1, "1.00"))
        with ThreadPoolExecutor(max_workers=8) as pool:
            responses = list(pool.map(lambda _: client.post(
                "/orders", json=race, headers={"Idempotency-Key": "pg-race"}), range(8)))
        assert {r.status_code for r in responses} == {201}
        assert len({r.content for r in responses}) == 1
        orders = client.get("/customers/PG-1/orders").json()["orders"]
        assert len(orders) == 2
        etag = client.get("/products").headers["ETag"]
        assert client.get("/products", headers={"If-None-Match": etag}).status_code == 304

"""The app's CRM client against the real reference server: every read and write it offers."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from softphone.crm.client import CrmClient, CrmRejected
from softphone.crm.schema import (
    CallLogCreate,
    CustomerLead,
    CustomerType,
    OrderCreate,
)
from tests.crm import sample
from tests.peers.crm_server import CrmServer

pytestmark = pytest.mark.timeout(120)

ANNA = sample.customer("K-ANNA", name="Anna Nguyen", type="key", phones=["+12125550100"],
                       manager={"name": "Dana Pop", "extension": "201"})
BORIS = sample.customer("K-BORIS", name="Boris Ionescu", phones=["+12125550100"])


@pytest.fixture(scope="module")
def crm(crm_server: CrmServer) -> CrmServer:
    crm_server.import_data({"customers": [ANNA, BORIS], "products": [sample.product("TEA-1")]})
    return crm_server


@pytest.fixture
def client(crm: CrmServer) -> Iterator[CrmClient]:
    with CrmClient(crm.url, crm.token, timeout=5) as client:
        yield client


def test_lookup_finds_everyone_with_the_number_in_any_shape(client: CrmClient) -> None:
    assert [c.id for c in client.lookup("+12125550100")] == ["K-ANNA", "K-BORIS"]
    assert [c.id for c in client.lookup("+1 (212) 555-0100")] == ["K-ANNA", "K-BORIS"]
    assert client.lookup("+12125550199") == []


def test_customer_by_id(client: CrmClient) -> None:
    anna = client.customer("K-ANNA")
    assert (anna.name, anna.type, anna.manager and anna.manager.extension) == (
        "Anna Nguyen", CustomerType.KEY, "201")
    with pytest.raises(CrmRejected) as refused:
        client.customer("K-NOBODY")
    assert refused.value.status == 404


def test_recent_orders_and_calls_newest_first(client: CrmClient) -> None:
    for n in range(3):
        order = OrderCreate.model_validate(sample.order("K-BORIS", ("TEA-1", n + 1, "10.00"),
                                                        notes=f"order {n}"))
        client.create_order(f"client-order-{n}", order)
        started = datetime(2026, 11, 2, 9, tzinfo=UTC) + timedelta(hours=n)
        client.create_call_log(f"client-call-{n}", CallLogCreate.model_validate(
            sample.call_log("K-BORIS", started.isoformat(), notes=f"call {n}")))
    orders = client.recent_orders("K-BORIS", limit=2)
    assert [o.notes for o in orders] == ["order 2", "order 1"]
    assert orders[0].number.startswith("SO-")
    calls = client.recent_calls("K-BORIS")
    assert [c.notes for c in calls] == ["call 2", "call 1", "call 0"]
    assert client.customer("K-BORIS").last_order_at == orders[0].created_at
    assert client.recent_orders("K-ANNA") == [] and client.recent_calls("K-ANNA") == []


def test_create_lead_once_per_key(client: CrmClient) -> None:
    lead = CustomerLead(name="Nikos Georgiou", phones=["+302101234567"], agent="Mai")
    first = client.create_lead("client-lead", lead)
    again = client.create_lead("client-lead", lead)
    assert first == again
    assert first.type == CustomerType.NEW and first.manager is None
    assert [c.id for c in client.lookup("+302101234567")] == [first.id]

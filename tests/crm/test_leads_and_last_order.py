"""New-caller leads and each customer's last order time, against a real server process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import text

from softphone.crm import schema
from softphone.crm.server.database import MIGRATIONS_DIR, Database
from tests.crm import sample
from tests.crm.test_api import assert_error
from tests.crm.test_changes import end_cursor, page
from tests.peers.crm_server import CrmServer

pytestmark = pytest.mark.timeout(120)

LEAD = {"name": "Parisa Ahmadi", "company": "Shiraz Spices", "phones": ["+12125550177"],
        "region": "West", "notes": "Wants the wholesale catalogue", "call_id": "call-77",
        "agent": "Mai"}


@pytest.fixture(scope="module")
def crm(crm_server: CrmServer) -> CrmServer:
    crm_server.import_data({
        "customers": [sample.customer("L-1"), sample.customer("L-2"),
                      sample.customer("L-3", last_order_at="2026-05-01T08:00:00Z")],
        "products": [sample.product("TEA-1")],
    })
    return crm_server


@pytest.fixture
def client(crm: CrmServer) -> Iterator[httpx.Client]:
    with crm.client() as client:
        yield client


def post(client: httpx.Client, path: str, key: str, body: Any) -> httpx.Response:
    return client.post(path, json=body, headers={"Idempotency-Key": key})


def feed_after(client: httpx.Client, cursor: str) -> list[dict[str, Any]]:
    changes: list[dict[str, Any]] = page(client, cursor, 1000)["changes"]
    return changes


def test_a_lead_becomes_a_new_customer_without_a_manager(client: httpx.Client) -> None:
    cursor = end_cursor(client)
    response = post(client, "/customers/leads", "lead-1", LEAD)
    assert response.status_code == 201, response.text
    customer = schema.Customer.model_validate(response.json())
    assert (customer.name, customer.company, customer.phones, customer.region) == (
        "Parisa Ahmadi", "Shiraz Spices", ["+12125550177"], "West")
    assert customer.type == schema.CustomerType.NEW and customer.manager is None
    assert customer.last_order_at is None
    assert customer.notes.startswith("New caller recorded by Mai during call call-77 on ")
    assert customer.notes.endswith("\n\nWants the wholesale catalogue")
    assert client.get(f"/customers/{customer.id}").json() == response.json()
    found = client.get("/customers/lookup", params={"phone": "+12125550177"}).json()
    assert [c["id"] for c in found["customers"]] == [customer.id]
    assert [c["id"] for c in feed_after(client, cursor)] == [customer.id]


def test_a_replayed_lead_creates_one_customer_and_a_changed_one_conflicts(
        client: httpx.Client) -> None:
    body = {**LEAD, "phones": ["+12125550178"]}
    first = post(client, "/customers/leads", "lead-replay", body)
    replay = post(client, "/customers/leads", "lead-replay", body)
    assert first.status_code == replay.status_code == 201
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert_error(post(client, "/customers/leads", "lead-replay", {**body, "name": "Other"}),
                 409, "conflict")
    found = client.get("/customers/lookup", params={"phone": "+12125550178"}).json()
    assert len(found["customers"]) == 1


def test_a_lead_needs_a_name_and_valid_phones(client: httpx.Client) -> None:
    fields = assert_error(post(client, "/customers/leads", "lead-bad",
                               {"name": "", "phones": ["555"], "manager": "me"}), 422, "invalid")
    assert {"name", "phones.0", "manager"} <= set(fields)
    assert_error(client.post("/customers/leads", json=LEAD), 400, "bad_request")


def test_an_order_sets_last_order_at_and_puts_the_customer_in_the_feed(
        client: httpx.Client) -> None:
    cursor = end_cursor(client)
    response = post(client, "/orders", "last-order-1",
                    sample.order("L-1", ("TEA-1", 1, "10.00")))
    assert response.status_code == 201, response.text
    created_at = response.json()["created_at"]
    customer = client.get("/customers/L-1").json()
    assert customer["last_order_at"] == created_at
    assert customer["updated_at"] == created_at
    changes = feed_after(client, cursor)
    assert [c["id"] for c in changes] == ["L-1"]
    assert changes[0]["customer"]["last_order_at"] == created_at
    # A replay creates nothing, so the customer does not change again.
    after = end_cursor(client)
    post(client, "/orders", "last-order-1", sample.order("L-1", ("TEA-1", 1, "10.00")))
    assert feed_after(client, after) == []


def test_import_sets_last_order_at_but_never_moves_it_back(crm: CrmServer,
                                                          client: httpx.Client) -> None:
    assert client.get("/customers/L-3").json()["last_order_at"] == "2026-05-01T08:00:00Z"
    post(client, "/orders", "last-order-2", sample.order("L-2", ("TEA-1", 1, "10.00")))
    ordered = client.get("/customers/L-2").json()["last_order_at"]
    cursor = end_cursor(client)
    # An export older than the order just taken: the order's time stays.
    result = crm.import_data({"customers": [
        sample.customer("L-2", last_order_at="2026-01-01T00:00:00Z"),
        sample.customer("L-3", last_order_at="2026-06-01T08:00:00+02:00")]})
    assert "1 updated, 1 unchanged" in result.stdout
    assert client.get("/customers/L-2").json()["last_order_at"] == ordered
    assert client.get("/customers/L-3").json()["last_order_at"] == "2026-06-01T06:00:00Z"
    assert [c["id"] for c in feed_after(client, cursor)] == ["L-3"]


def test_csv_import_reads_last_order_at(crm: CrmServer, client: httpx.Client,
                                        tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_text("id,name,type,last_order_at\nCSV-L,Ilinca Pop,retail,2026-03-02T10:00:00Z\n")
    crm.import_file(path)
    assert client.get("/customers/CSV-L").json()["last_order_at"] == "2026-03-02T10:00:00Z"


def test_upgrade_fills_last_order_at_from_stored_orders(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    try:
        _upgrade_to(database, "0001")
        with database.engine.begin() as connection:
            for customer_id, seq in (("OLD-1", 1), ("OLD-2", 2)):
                connection.execute(text(
                    "INSERT INTO customers VALUES (:id, 'n', '', '', 'retail', NULL, '', 0, 0,"
                    " 0, 0, '', '', '', '', '2026-01-01 00:00:00', 0, :seq, 'h')"),
                    {"id": customer_id, "seq": seq})
            connection.execute(text("UPDATE change_counter SET value = 2"))
            connection.execute(text(
                "INSERT INTO orders VALUES (1, 'OLD-2', 'received', '2026-04-05 06:07:08', 0, 0,"
                " 0, 0, 'pickup', '2026-04-06', '', '', '', '', 'cash', '[]', '', '[]', 0,"
                " '', '')"))
        database.upgrade()
        with database.read() as session:
            rows = dict(session.execute(text(
                "SELECT id, change_seq FROM customers")).all())
            filled = session.execute(text(
                "SELECT last_order_at FROM customers WHERE id = 'OLD-2'")).scalar_one()
        assert rows == {"OLD-1": 1, "OLD-2": 3}  # the filled one moved to the feed's end
        assert datetime.fromisoformat(str(filled)) == datetime(2026, 4, 5, 6, 7, 8)
    finally:
        database.close()


def _upgrade_to(database: Database, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

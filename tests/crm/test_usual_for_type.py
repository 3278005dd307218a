"""The products usual for each customer type: the server on PostgreSQL as a process (the
window, cancelled orders, ties, the cap, ETags), its shared answer, and the app's client
refusing what the API does not allow."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from softphone.crm import schema
from softphone.crm.client import MAX_USUAL_BODY, CrmBadResponse, CrmClient, parse
from softphone.crm.server import importer, store, usual
from softphone.crm.server.database import Database
from tests.crm import sample
from tests.peers.crm_server import CrmServer, CrmServerFactory
from tests.peers.faults import FakeCrm, http_reply
from tests.peers.postgres import PostgreSQL

pytestmark = pytest.mark.timeout(180)

PATH = "/products/usual-for-type"
MANY = [f"A-{n:02d}" for n in range(25)]
CUSTOMERS = [sample.customer("R-1"), sample.customer("R-2"), sample.customer("R-3"),
             sample.customer("K-1", type="key"), sample.customer("M-1", type="marketer")]
PRODUCTS = [sample.product(sku) for sku in ("TEA-1", "RICE-5", "SALT-1", "OIL-2", "SUGAR-1",
                                             "oat-3", *MANY)]


def order(client: httpx.Client, customer_id: str, *skus: str) -> str:
    """Place an order holding ``skus`` (one line each) through the API; returns its id."""
    body = sample.order(customer_id, *[(sku, 1, "10.00") for sku in skus])
    response = client.post("/orders", json=body,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert response.status_code == 201, response.text
    order_id: str = response.json()["id"]
    return order_id


def rewrite(db_url: str, order_id: str, **columns: Any) -> None:
    """Change an order in the database directly, as the order system behind the CRM does
    (the API has no way to cancel or to date an order)."""
    database = Database(db_url)
    try:
        with database.write() as session:
            sets = ", ".join(f"{name} = :{name}" for name in columns)
            session.execute(text(f"UPDATE orders SET {sets} WHERE id = :id"),
                            {**columns, "id": int(order_id)})
    finally:
        database.close()


def usual_skus(client: httpx.Client, etag: str | None = None) -> httpx.Response:
    return client.get(PATH, headers={"If-None-Match": etag} if etag else {})


def natural_language_database(postgres: PostgreSQL) -> str:
    """A new database sorting text as English readers do ("a" before "B"); its URL."""
    name = f"usual_{uuid.uuid4().hex}"
    engine = create_engine(postgres.url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 "
                                    "LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'"))
    finally:
        engine.dispose()
    return postgres.url_of(name)


@pytest.fixture
def crm(postgres: PostgreSQL, crm_server_factory: CrmServerFactory) -> CrmServer:
    server = crm_server_factory(db_url=natural_language_database(postgres))
    server.import_data({"price_lists": sample.PRICE_LISTS, "customers": CUSTOMERS,
                        "products": PRODUCTS})
    return server


def test_most_ordered_per_type_over_the_window_without_cancelled_orders(
        crm: CrmServer) -> None:
    now = datetime.now(UTC)
    with crm.client() as client:
        order(client, "R-1", "TEA-1", "RICE-5")
        order(client, "R-2", "TEA-1", "SALT-1", "oat-3")
        order(client, "R-3", "TEA-1", "OIL-2", "OIL-2")  # OIL-2 twice: still one order
        rewrite(crm.db_url, order(client, "R-1", "OIL-2"),
                created_at=now - timedelta(days=89))
        rewrite(crm.db_url, order(client, "R-2", "SALT-1", "RICE-5"),
                created_at=now - timedelta(days=91))  # before the window
        rewrite(crm.db_url, order(client, "R-3", "RICE-5", "SUGAR-1"), status="cancelled")
        order(client, "K-1", *reversed(MANY))
        order(client, "M-1", "SUGAR-1")

        response = usual_skus(client)
        assert response.status_code == 200, response.text
        answer = schema.UsualForType.model_validate_json(response.content)
    assert answer.window_days == usual.WINDOW_DAYS == 90
    assert answer.skus == {
        # 3 orders, 2 (not 3, which would put it first), then ties in code-point order.
        schema.CustomerType.RETAIL: ["TEA-1", "OIL-2", "RICE-5", "SALT-1", "oat-3"],
        schema.CustomerType.KEY: MANY[:usual.PER_TYPE],
        schema.CustomerType.MARKETER: ["SUGAR-1"],
        schema.CustomerType.REGIONAL: [],
        schema.CustomerType.NEW: [],
    }


def test_etag_304_and_a_new_answer_after_an_order_or_a_change_of_type(
        crm: CrmServer) -> None:
    with crm.client() as client:
        order(client, "R-1", "TEA-1")
        order(client, "M-1", "SUGAR-1")
        first = usual_skus(client)
        etag = first.headers["ETag"]
        assert first.headers["Cache-Control"] == "no-cache" and etag.startswith('"usual-')
        unchanged = usual_skus(client, etag)
        assert (unchanged.status_code, unchanged.content) == (304, b"")
        assert unchanged.headers["ETag"] == etag
        assert usual_skus(client, f'W/{etag}').status_code == 304

        order(client, "R-2", "OIL-2")
        order(client, "R-3", "OIL-2")
        changed = usual_skus(client, etag)
        assert changed.status_code == 200 and changed.headers["ETag"] != etag
        assert changed.json()["skus"]["retail"] == ["OIL-2", "TEA-1"]

        # M-1 is a regional customer now: what they ordered is usual for regional ones.
        crm.import_data({"customers": [sample.customer("M-1", type="regional")]})
        moved = usual_skus(client, changed.headers["ETag"])
        assert moved.status_code == 200
        assert (moved.json()["skus"]["marketer"], moved.json()["skus"]["regional"]) == (
            [], ["SUGAR-1"])


def test_the_app_client_fetches_it_with_its_etag(crm: CrmServer) -> None:
    with crm.client() as http:
        order(http, "R-1", "TEA-1", "RICE-5")
    with CrmClient(crm.url, crm.token, timeout=5) as client:
        answer, etag = client.usual_for_type(None)
        assert answer is not None and etag
        assert answer.skus[schema.CustomerType.RETAIL] == ["RICE-5", "TEA-1"]
        assert client.usual_for_type(etag) == (None, etag)


def test_an_answer_is_shared_until_orders_or_customers_change_or_it_ages(
        tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'crm.sqlite3'}")
    database.upgrade()
    seconds = [0.0]
    answers = usual.UsualAnswers(max_age=60, clock=lambda: seconds[0])
    now = datetime.now(UTC)
    try:
        importer.apply(database, importer.ImportData(
            customers=[schema.Customer.model_validate(sample.customer("R-1"))],
            products=[schema.Product.model_validate(sample.product("TEA-1"))]), now)
        first = answers.current(database)
        assert answers.current(database) is first  # nothing changed: not asked again
        document = schema.OrderCreate.model_validate(sample.order("R-1", ("TEA-1", 1, "1")))
        with database.write() as session:
            placed = store.place_order(session, document, now)
        second = answers.current(database)
        assert second.etag != first.etag
        assert json.loads(second.body)["skus"]["retail"] == ["TEA-1"]
        with database.write() as session:  # cancelled in the database: unseen for a while
            session.execute(text("UPDATE orders SET status = 'cancelled' WHERE id = :id"),
                            {"id": int(placed.id)})
        assert answers.current(database) is second
        seconds[0] = 61.0
        assert json.loads(answers.current(database).body)["skus"]["retail"] == []
    finally:
        database.close()


@pytest.mark.parametrize(("document", "reason"), [
    ({"window_days": 90, "skus": {"vip": ["TEA-1"]}}, "skus.vip"),
    ({"window_days": 90, "skus": {"retail": ["TEA 1"]}}, "skus.retail.0"),
    ({"window_days": 90, "skus": {"retail": ["T" * 65]}}, "skus.retail.0"),
    ({"window_days": 90, "skus": {"retail": [f"S-{n}" for n in range(51)]}}, "skus.retail"),
    ({"window_days": 0, "skus": {}}, "window_days"),
    ({"window_days": 90, "skus": {}, "extra": 1}, "extra"),
], ids=["unknown type", "not a sku", "long sku", "too many", "no window", "unknown field"])
def test_the_client_refuses_what_the_api_does_not_allow(document: dict[str, Any],
                                                        reason: str) -> None:
    with pytest.raises(CrmBadResponse, match=f"invalid {reason}"):
        parse(schema.UsualForType, json.dumps(document).encode())


def test_the_client_refuses_an_oversized_answer() -> None:
    body = b'{"window_days": 90, "skus": {"retail": ["' + b"x" * MAX_USUAL_BODY + b'"]}}'
    with FakeCrm(lambda _line, _body: http_reply(200, body)) as fake, \
            CrmClient(fake.url, "token", timeout=5) as client, \
            pytest.raises(CrmBadResponse, match="too large"):
        client.usual_for_type(None)

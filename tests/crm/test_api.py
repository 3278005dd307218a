"""The read side of the CRM API against a real server process: auth, lookups, orders, ETags."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from softphone.crm import schema
from tests.crm import sample
from tests.peers.crm_server import CrmServer

pytestmark = pytest.mark.timeout(120)

ANNA = sample.customer(
    "C-ANNA", name="Anna Nguyen", company="Lotus Foods", type="key",
    phones=["+12125550100", "+442079460018"], email="anna@lotus.example",
    manager={"name": "Dana Pop", "extension": "201"}, balance="1500.50",
    overdue_debt="120.00", credit_limit="5000", region="North-East",
    payment_terms="30 days", delivery_address="1 Main St", notes="Prefers mornings")
# Shares Anna's office number.
BORIS = sample.customer("C-BORIS", name="Boris Ionescu", phones=["+12125550100"])
CLARA = sample.customer("C-CLARA", name="Clara Papadopoulou", phones=["+13125550199"])


@pytest.fixture(scope="module")
def crm(crm_server: CrmServer) -> CrmServer:
    crm_server.import_data({
        "price_lists": sample.PRICE_LISTS,
        "customers": [ANNA, BORIS, CLARA],
        "products": [sample.product("TEA-1"), sample.product("RICE-5", "25.00", "21.50")],
    })
    return crm_server


@pytest.fixture
def client(crm: CrmServer) -> Iterator[httpx.Client]:
    with crm.client() as client:
        yield client


def assert_error(response: httpx.Response, status: int, code: str) -> dict[str, str]:
    """The response is an ErrorBody with ``status`` and ``code``; returns its fields."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["code"] == code and body["message"], body
    fields: dict[str, str] = body["fields"]
    return fields


def test_health_and_openapi_need_no_token(crm: CrmServer) -> None:
    health = httpx.get(f"{crm.api}/health")
    assert health.json() == {"status": "ok", "api_version": 1}
    document = httpx.get(f"{crm.url}/openapi.json").json()
    assert document["info"] == {"title": "Softphone CRM connector API", "version": "1"}
    for path in ("/customers/lookup", "/customers/{customer_id}",
                 "/customers/{customer_id}/orders", "/customers/{customer_id}/calls",
                 "/changes", "/products", "/price-lists", "/products/usual-for-type",
                 "/orders", "/call-logs", "/health"):
        assert f"/api/v1{path}" in document["paths"], path
    create = document["paths"]["/api/v1/orders"]["post"]
    body_schema = create["requestBody"]["content"]["application/json"]["schema"]
    assert body_schema["$ref"].endswith("/OrderCreate")
    assert create["responses"]["422"]["content"]["application/json"]["schema"][
        "$ref"].endswith("/ErrorBody")
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Bearer not-a-token"}, {"Authorization": "Basic dXNlcjpwdw=="},
], ids=["no token", "wrong token", "not bearer"])
def test_without_a_valid_token_every_endpoint_is_refused(crm: CrmServer,
                                                         headers: dict[str, str]) -> None:
    requests = [("GET", "/customers/lookup?phone=%2B12125550100"), ("GET", "/customers/C-ANNA"),
                ("GET", "/changes"), ("GET", "/products"), ("POST", "/orders")]
    for method, path in requests:
        response = httpx.request(method, crm.api + path, headers={
            **headers, "Idempotency-Key": "k-auth"}, json=sample.order("C-ANNA", ("TEA-1", 1, "1")))
        assert_error(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("typed", [
    "+12125550100", "+1 (212) 555-0100", "(212) 555-0100", "212.555.0100", "0012125550100",
])
def test_lookup_finds_everyone_having_the_number_however_it_is_written(
        client: httpx.Client, typed: str) -> None:
    response = client.get("/customers/lookup", params={"phone": typed})
    assert response.status_code == 200, response.text
    names = [c["name"] for c in response.json()["customers"]]
    assert names == ["Anna Nguyen", "Boris Ionescu"]


def test_lookup_of_an_unknown_number_is_empty_and_of_text_is_refused(
        client: httpx.Client) -> None:
    unknown = client.get("/customers/lookup", params={"phone": "+12125550111"})
    assert unknown.json() == {"customers": []}
    fields = assert_error(client.get("/customers/lookup", params={"phone": "call me"}),
                          422, "invalid")
    assert "phone" in fields


def test_customer_by_id_has_every_field(client: httpx.Client) -> None:
    anna = client.get("/customers/C-ANNA").json()
    assert anna == {
        "id": "C-ANNA", "name": "Anna Nguyen", "company": "Lotus Foods",
        "phones": ["+12125550100", "+442079460018"], "email": "anna@lotus.example",
        "type": "key", "manager": {"name": "Dana Pop", "extension": "201"},
        "balance": "1500.50", "overdue_debt": "120.00", "overpayment": "0.00",
        "credit_limit": "5000.00", "region": "North-East", "payment_terms": "30 days",
        "delivery_address": "1 Main St", "notes": "Prefers mornings",
        "last_order_at": None, "updated_at": "2026-11-01T09:00:00Z",
    }
    assert client.get("/customers/C-BORIS").json()["manager"] is None


def test_unknown_customer_and_unknown_path_are_404(client: httpx.Client) -> None:
    assert_error(client.get("/customers/C-NOBODY"), 404, "not_found")
    assert_error(client.get("/customers/C-NOBODY/orders"), 404, "not_found")
    assert_error(client.get("/no-such-thing"), 404, "not_found")


def post_order(client: httpx.Client, key: str, document: dict[str, object]) -> httpx.Response:
    return client.post("/orders", json=document, headers={"Idempotency-Key": key})


def test_the_server_computes_line_totals_tax_and_total(client: httpx.Client) -> None:
    document = sample.order("C-CLARA", ("TEA-1", 3, "10.00"), ("RICE-5", 7, "21.99"))
    document["lines"][1]["discount_percent"] = "12.5"  # type: ignore[index]
    response = post_order(client, "totals-1", document)
    assert response.status_code == 201, response.text
    created = response.json()
    assert re.fullmatch(r"SO-\d{6}", created["number"])
    assert [line["line_total"] for line in created["lines"]] == ["30.00", "134.69"]
    assert (created["subtotal"], created["tax"], created["total"]) == (
        "164.69", "32.94", "197.63")
    assert created["status"] == "received"
    assert created["delivery"]["contact_person"] == "Mai"


def test_recent_orders_are_newest_first_and_limited(client: httpx.Client) -> None:
    numbers = []
    for index in range(3):
        response = post_order(client, f"recent-{index}",
                              sample.order("C-BORIS", ("TEA-1", index + 1, "10.00")))
        numbers.append(response.json()["number"])
    post_order(client, "recent-other", sample.order("C-ANNA", ("TEA-1", 1, "10.00")))
    listed = client.get("/customers/C-BORIS/orders", params={"limit": 2}).json()["orders"]
    assert [order["number"] for order in listed] == [numbers[2], numbers[1]]
    everything = client.get("/customers/C-BORIS/orders").json()["orders"]
    assert [order["number"] for order in everything] == numbers[::-1]
    assert "limit" in assert_error(
        client.get("/customers/C-BORIS/orders", params={"limit": 51}), 422, "invalid")


def test_recent_calls_are_newest_first(client: httpx.Client) -> None:
    for index, started in enumerate(["2026-11-02T10:00:00+00:00", "2026-11-03T08:00:00+02:00",
                                     "2026-11-01T10:00:00+00:00"]):
        response = client.post("/call-logs", json=sample.call_log("C-CLARA", started),
                               headers={"Idempotency-Key": f"calls-{index}"})
        assert response.status_code == 201, response.text
    calls = client.get("/customers/C-CLARA/calls", params={"limit": 2}).json()["calls"]
    assert [call["started_at"] for call in calls] == ["2026-11-03T06:00:00Z",
                                                      "2026-11-02T10:00:00Z"]


def test_invalid_orders_name_each_wrong_field(client: httpx.Client) -> None:
    shape = sample.order("C-ANNA", ("TEA-1", 0, "10.00"))
    shape["delivery"] = {"method": "delivery", "date": "2026-02-30"}
    fields = assert_error(post_order(client, "bad-shape", shape), 422, "invalid")
    assert set(fields) == {"lines.0.quantity", "delivery.date"}
    unknown = sample.order("C-NOBODY", ("TEA-1", 1, "10.00"), ("NO-SUCH", 1, "1.00"))
    fields = assert_error(post_order(client, "bad-refs", unknown), 422, "invalid")
    assert set(fields) == {"customer_id", "lines.1.sku"}
    assert client.get("/customers/C-NOBODY/orders").status_code == 404


def test_an_order_with_hundreds_of_wrong_lines_still_gets_a_valid_error(
        client: httpx.Client) -> None:
    lines = [(f"NO-{n}", 1, "1.00") for n in range(300)]
    response = post_order(client, "many-bad", sample.order("C-ANNA", *lines))
    error = schema.ErrorBody.model_validate(response.json())
    assert response.status_code == 422 and "lines.0.sku" in error.fields


@pytest.mark.parametrize("path", ["/products", "/price-lists"])
def test_catalogue_is_not_sent_again_while_unchanged(crm: CrmServer, client: httpx.Client,
                                                     path: str) -> None:
    first = client.get(path)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert client.get(path, headers={"If-None-Match": '"other"'}).status_code == 200
    if path == "/products":
        crm.import_data({"products": [sample.product("TEA-1", "11.00")]})
    else:
        renamed = [{"id": "retail", "name": "Shop"}, {"id": "wholesale", "name": "Trade"}]
        crm.import_data({"price_lists": {**sample.PRICE_LISTS, "columns": renamed}})
    changed = client.get(path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert changed.json() != first.json()


def test_products_and_price_lists_content(client: httpx.Client) -> None:
    products = {p["sku"]: p for p in client.get("/products").json()["products"]}
    assert products["RICE-5"]["prices"] == {"retail": "25.00", "wholesale": "21.50"}
    prices = client.get("/price-lists").json()
    assert [column["id"] for column in prices["columns"]] == ["retail", "wholesale"]
    assert prices["column_for_type"]["key"] == "wholesale"
    assert prices["discount_rules"][0]["min_quantity"] == 10

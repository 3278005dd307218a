"""Writes with an Idempotency-Key against a real server: a retry never makes a second order."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from tests.crm import sample
from tests.crm.test_api import assert_error
from tests.peers.crm_server import CrmServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def crm(crm_server: CrmServer) -> CrmServer:
    crm_server.import_data({
        "customers": [sample.customer(f"W-{n}") for n in range(1, 6)],
        "products": [sample.product("TEA-1")],
    })
    return crm_server


@pytest.fixture
def client(crm: CrmServer) -> Iterator[httpx.Client]:
    with crm.client() as client:
        yield client


def post(client: httpx.Client, path: str, key: str | None, body: Any) -> httpx.Response:
    # Bytes, so that httpx sends even a key that is not ASCII as it is.
    headers = {} if key is None else {"Idempotency-Key": key.encode()}
    return client.post(path, json=body, headers=headers)


def order_count(client: httpx.Client, customer_id: str) -> int:
    return len(client.get(f"/customers/{customer_id}/orders").json()["orders"])


def test_a_replayed_order_answers_the_same_and_creates_nothing(client: httpx.Client) -> None:
    body = sample.order("W-1", ("TEA-1", 2, "10.00"))
    first = post(client, "/orders", "order-replay", body)
    assert first.status_code == 201, first.text
    replay = post(client, "/orders", "order-replay", body)
    assert replay.status_code == 201
    assert replay.content == first.content
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert order_count(client, "W-1") == 1
    # The same document written differently (key order, spacing) is the same request.
    respaced = client.post("/orders", content=httpx.Request(
        "POST", "/", json=dict(reversed(body.items()))).content,
        headers={"Idempotency-Key": "order-replay", "Content-Type": "application/json"})
    assert respaced.content == first.content


def test_the_same_key_with_another_body_is_a_conflict(client: httpx.Client) -> None:
    assert post(client, "/orders", "order-conflict",
                sample.order("W-2", ("TEA-1", 1, "10.00"))).status_code == 201
    changed = sample.order("W-2", ("TEA-1", 5, "10.00"))
    assert_error(post(client, "/orders", "order-conflict", changed), 409, "conflict")
    call = sample.call_log("W-2", "2026-11-02T10:00:00Z")
    assert_error(post(client, "/call-logs", "order-conflict", call), 409, "conflict")
    assert order_count(client, "W-2") == 1


@pytest.mark.parametrize("key", [None, "", "has\ttab", "x" * 129, "ключ"],
                         ids=["missing", "empty", "tab", "too long", "not ascii"])
def test_writes_without_a_usable_key_are_bad_requests(client: httpx.Client,
                                                      key: str | None) -> None:
    order = sample.order("W-3", ("TEA-1", 1, "1.00"))
    assert_error(post(client, "/orders", key, order), 400, "bad_request")
    call = sample.call_log("W-3", "2026-11-02T10:00:00Z")
    assert_error(post(client, "/call-logs", key, call), 400, "bad_request")
    assert order_count(client, "W-3") == 0


def test_a_body_that_is_not_json_is_a_bad_request(client: httpx.Client) -> None:
    response = client.post("/orders", content=b"{not json", headers={
        "Idempotency-Key": "broken", "Content-Type": "application/json"})
    assert_error(response, 400, "bad_request")


def test_simultaneous_duplicates_create_one_order(client: httpx.Client) -> None:
    body = sample.order("W-4", ("TEA-1", 1, "10.00"))
    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(
            lambda _: post(client, "/orders", "order-race", body), range(8)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.content for r in responses}) == 1
    assert order_count(client, "W-4") == 1


def test_keys_belong_to_their_token(crm: CrmServer, client: httpx.Client) -> None:
    body = sample.order("W-5", ("TEA-1", 1, "10.00"))
    mine = post(client, "/orders", "shared-key", body).json()
    other_token = crm.create_token("second desk")
    with httpx.Client(base_url=crm.api, headers={"Authorization": f"Bearer {other_token}"},
                      timeout=15) as other:
        theirs = post(other, "/orders", "shared-key", body).json()
    assert theirs["id"] != mine["id"]
    assert order_count(client, "W-5") == 2


def test_call_logs_are_idempotent_and_check_the_customer(client: httpx.Client) -> None:
    call = sample.call_log("W-1", "2026-11-02T10:00:00+01:00", notes="Asked for a callback",
                           callback_at="2026-11-03T09:00:00Z")
    first = post(client, "/call-logs", "call-1", call)
    assert first.status_code == 201, first.text
    assert first.json()["started_at"] == "2026-11-02T09:00:00Z"
    assert post(client, "/call-logs", "call-1", call).content == first.content
    listed = client.get("/customers/W-1/calls").json()["calls"]
    assert [c["id"] for c in listed] == [first.json()["id"]]
    assert listed[0] == first.json()
    anonymous = post(client, "/call-logs", "call-2", sample.call_log(None, "2026-11-02T10:00:00Z"))
    assert anonymous.status_code == 201 and anonymous.json()["customer_id"] is None
    fields = assert_error(post(client, "/call-logs", "call-3",
                               sample.call_log("NOBODY", "2026-11-02T10:00:00Z")), 422, "invalid")
    assert set(fields) == {"customer_id"}
    fields = assert_error(post(client, "/call-logs", "call-4",
                               sample.call_log("W-1", "2026-11-02T10:00:00")), 422, "invalid")
    assert set(fields) == {"started_at"}

"""The change feed against a real server: paging, tombstones, and imports while a client pages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.crm import sample
from tests.crm.test_api import assert_error
from tests.peers.crm_server import CrmServer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def client(crm_server: CrmServer) -> Iterator[httpx.Client]:
    with crm_server.client() as client:
        yield client


def page(client: httpx.Client, cursor: str, limit: int) -> dict[str, Any]:
    response = client.get("/changes", params={"cursor": cursor, "limit": limit})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def end_cursor(client: httpx.Client) -> str:
    """The cursor after every change so far."""
    cursor = "0"
    while True:
        body = page(client, cursor, 1000)
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return cursor


def test_pages_follow_the_cursor_until_nothing_is_left(crm_server: CrmServer,
                                                       client: httpx.Client) -> None:
    start = end_cursor(client)
    ids = [f"P-{n:02d}" for n in range(25)]
    crm_server.import_data({"customers": [sample.customer(i) for i in ids]})
    seen: list[str] = []
    pages = []
    cursor = start
    while True:
        body = page(client, cursor, 10)
        pages.append((len(body["changes"]), body["has_more"]))
        seen += [change["id"] for change in body["changes"]]
        assert int(body["next_cursor"]) > int(cursor) or not body["changes"]
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert pages == [(10, True), (10, True), (5, False)]
    assert seen == ids
    assert all(c["customer"]["name"] == f"Customer {c['id']}"
               for c in page(client, start, 3)["changes"])
    # At the end an empty page keeps the cursor.
    assert page(client, cursor, 10) == {"changes": [], "next_cursor": cursor, "has_more": False}


def test_deleted_customers_become_tombstones_once(crm_server: CrmServer,
                                                  client: httpx.Client) -> None:
    crm_server.import_data({"customers": [
        sample.customer("T-1", phones=["+12125550301"]), sample.customer("T-2")]})
    cursor = end_cursor(client)
    crm_server.import_data({"delete_customers": ["T-1", "T-404"]})
    body = page(client, cursor, 100)
    assert body["changes"] == [{"id": "T-1", "deleted": True, "customer": None}]
    assert_error(client.get("/customers/T-1"), 404, "not_found")
    lookup = client.get("/customers/lookup", params={"phone": "+12125550301"})
    assert lookup.json()["customers"] == []
    # Deleting again, or importing unchanged data, is no change at all.
    cursor = body["next_cursor"]
    crm_server.import_data({"delete_customers": ["T-1"], "customers": [sample.customer("T-2")]})
    assert page(client, cursor, 100)["changes"] == []
    # A deleted customer imported again comes back as a change.
    crm_server.import_data({"customers": [sample.customer("T-1", name="Back again")]})
    changes = page(client, cursor, 100)["changes"]
    assert [(c["id"], c["customer"]["name"]) for c in changes] == [("T-1", "Back again")]


def test_a_client_paging_during_imports_misses_nothing(crm_server: CrmServer,
                                                       client: httpx.Client) -> None:
    ids = [f"S-{n:02d}" for n in range(20)]
    expected = {i: f"Customer {i}" for i in ids}
    crm_server.import_data({"customers": [sample.customer(i) for i in ids]})
    replica: dict[str, str] = {}
    cursor = "0"
    # Between pages: rename some already read and some not yet read, add, delete.
    between = [
        ({"S-00": "Renamed 0", "S-15": "Renamed 15", "S-20": "New 20"}, ["S-03"]),
        ({"S-01": "Renamed 1", "S-19": "Renamed 19", "S-21": "New 21"}, ["S-16", "S-20"]),
        ({"S-00": "Renamed 0 again"}, []),
    ]
    last_seq = 0
    while True:
        body = page(client, cursor, 8)
        ids_in_page = [change["id"] for change in body["changes"]]
        assert len(ids_in_page) == len(set(ids_in_page)), "a customer twice in one page"
        for change in body["changes"]:
            if change["deleted"]:
                replica.pop(change["id"], None)
            else:
                replica[change["id"]] = change["customer"]["name"]
        assert int(body["next_cursor"]) >= last_seq
        last_seq = int(body["next_cursor"])
        cursor = body["next_cursor"]
        if between:
            renames, deletions = between.pop(0)
            crm_server.import_data({
                "customers": [sample.customer(i, name=name) for i, name in renames.items()],
                "delete_customers": deletions})
            expected.update(renames)
            for gone in deletions:
                expected.pop(gone)
        elif not body["has_more"]:
            break
    everyone = {i: n for i, n in replica.items() if i.startswith("S-")}
    assert everyone == expected


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": 0}, "limit"), ({"limit": 1001}, "limit"), ({"cursor": "abc"}, "cursor"),
    ({"cursor": "-1"}, "cursor"),
])
def test_bad_paging_parameters_are_named(client: httpx.Client, params: dict[str, object],
                                         field: str) -> None:
    assert field in assert_error(client.get("/changes", params=params), 422, "invalid")

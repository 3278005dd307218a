"""``softphone crm import`` of JSON and CSV files, read back through the running server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.crm import sample
from tests.peers.crm_server import CrmServer

pytestmark = pytest.mark.timeout(120)

CSV_HEADER = ("id,name,company,phones,email,type,manager_name,manager_extension,balance,"
              "overdue_debt,overpayment,credit_limit,region,payment_terms,delivery_address,notes")


@pytest.fixture
def client(crm_server: CrmServer) -> Iterator[httpx.Client]:
    with crm_server.client() as client:
        yield client


def test_json_import_loads_everything_and_rewrites_only_what_changed(
        crm_server: CrmServer, client: httpx.Client) -> None:
    # No updated_at: the import stamps the records itself.
    customers = [
        {"id": "J-1", "name": "Hanh Tran", "type": "regional", "phones": ["(212) 555-0142"],
         "overpayment": "15.5"},
        {"id": "J-2", "name": "Zsofia Kovacs", "type": "new"},
    ]
    products = [{"sku": "J-TEA", "name": "Green tea", "is_new": True,
                 "prices": {"retail": "4.10"}}]
    first = crm_server.import_data({"price_lists": sample.PRICE_LISTS, "customers": customers,
                                    "products": products})
    assert first.stdout.strip() == (
        "customers: 2 added, 0 updated, 0 unchanged, 0 deleted; "
        "products: 1 added, 0 updated; price lists: replaced")
    hanh = client.get("/customers/lookup", params={"phone": "+12125550142"}).json()
    assert [(c["id"], c["overpayment"]) for c in hanh["customers"]] == [("J-1", "15.50")]
    tea = next(p for p in client.get("/products").json()["products"] if p["sku"] == "J-TEA")
    assert tea["is_new"] and tea["prices"] == {"retail": "4.10"}

    again = crm_server.import_data({"customers": customers})
    assert "customers: 0 added, 0 updated, 2 unchanged, 0 deleted" in again.stdout
    customers[1]["name"] = "Zsófia Kovács"
    changed = crm_server.import_data({"customers": customers[1:], "delete_customers": ["J-1"]})
    assert "customers: 0 added, 1 updated, 0 unchanged, 1 deleted" in changed.stdout
    assert client.get("/customers/J-2").json()["name"] == "Zsófia Kovács"
    assert client.get("/customers/J-1").status_code == 404


def write_csv(path: Path, *rows: str) -> Path:
    path.write_text("\n".join([CSV_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def test_csv_import_reads_phones_of_the_given_region(crm_server: CrmServer,
                                                     client: httpx.Client) -> None:
    path = write_csv(
        crm_server.work_dir / "customers.csv",
        'V-1,Nguyen Van An,An Trading,020 7946 0019; +1 (212) 555-0188,an@example.vn,key,'
        'Dana Pop,201,100.25,0,0,1000,London,prepaid,"1 High St, London","likes ""green"" tea"',
        "V-2,Ilona Szabo,,07911 123456,,retail,,,,,,,,,,",
    )
    result = crm_server.import_file(path, "--region", "GB")
    assert "customers: 2 added" in result.stdout
    an = client.get("/customers/V-1").json()
    assert an["phones"] == ["+442079460019", "+12125550188"]
    assert an["manager"] == {"name": "Dana Pop", "extension": "201"}
    assert (an["balance"], an["credit_limit"]) == ("100.25", "1000.00")
    assert an["delivery_address"] == "1 High St, London"
    assert an["notes"] == 'likes "green" tea'
    found = client.get("/customers/lookup", params={"phone": "+447911123456"}).json()
    assert [c["id"] for c in found["customers"]] == ["V-2"]


def test_a_bad_csv_record_imports_nothing_and_is_named(crm_server: CrmServer,
                                                       client: httpx.Client) -> None:
    path = write_csv(
        crm_server.work_dir / "bad.csv",
        "B-1,Good Customer,,+12125550190,,retail,,,,,,,,,,",
        "B-2,Bad Type,,12,,vip,,,,,,,,,,",
        "B-3,,,,,retail,,,12.345,,,,,,,",
    )
    result = crm_server.import_file(path, check=False)
    assert result.returncode != 0
    message = result.stderr
    assert "nothing imported" in message
    assert "line 3: type:" in message
    assert "line 3: phones: '12' is not a phone number" in message
    assert "line 4: name:" in message and "line 4: balance:" in message
    assert "line 2" not in message
    assert client.get("/customers/B-1").status_code == 404


def test_a_bad_json_record_imports_nothing_and_is_named(crm_server: CrmServer,
                                                        client: httpx.Client) -> None:
    bad_prices = {**sample.PRICE_LISTS, "column_for_type": {"key": "gold"}}
    result = crm_server.import_data({
        "price_lists": bad_prices,
        "customers": [sample.customer("K-1"), sample.customer("K-2", balance="lots"),
                      sample.customer("K-1")],
        "products": [{"sku": "K-SKU", "prices": {}}],
        "delete_customers": ["not valid!"],
    }, check=False)
    assert result.returncode != 0
    message = result.stderr
    assert "customers[1] (id 'K-2'): balance:" in message
    assert "customers: id: 'K-1' appears more than once" in message
    assert "products[0] (sku 'K-SKU'): name: Field required" in message
    assert "price_lists: column_for_type.key: no column 'gold'" in message
    assert "delete_customers[0]: id:" in message
    assert client.get("/customers/K-1").status_code == 404


def test_files_that_are_not_import_files_are_refused(crm_server: CrmServer) -> None:
    plain = crm_server.work_dir / "plain.json"
    plain.write_text(json.dumps({"customers": []}))
    result = crm_server.import_file(plain, check=False)
    assert result.returncode != 0 and '"format": "softphone-crm-import"' in result.stderr
    broken = crm_server.work_dir / "broken.json"
    broken.write_text('{"format": ')
    result = crm_server.import_file(broken, check=False)
    assert result.returncode != 0 and "is not valid JSON" in result.stderr

"""Prices, discounts and totals: what the agent reads out, to the cent, as the CRM stores it."""

from __future__ import annotations

import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from softphone.crm import schema
from softphone.orders import pricing
from softphone.orders.draft import OrderDraft
from tests.core.orders_samples import (
    PRICE_LISTS,
    T0,
    customer,
    price_lists,
    product,
    rule,
)

CT = schema.CustomerType
D = Decimal


def test_each_customer_type_pays_its_own_column() -> None:
    tea = product("TEA-1", retail="10.00", wholesale="8.00")
    assert pricing.unit_price(tea, CT.RETAIL, PRICE_LISTS) == D("10.00")
    assert pricing.unit_price(tea, CT.REGIONAL, PRICE_LISTS) == D("8.00")


def test_a_product_without_a_price_in_the_customers_column_says_why() -> None:
    tea = product("TEA-1", wholesale=None)
    with pytest.raises(pricing.NotPriced) as raised:
        pricing.unit_price(tea, CT.KEY, PRICE_LISTS)
    assert str(raised.value) == ('Product TEA-1 (TEA-1) has no price in the "Wholesale" price '
                                 "list that key customers pay, so it cannot be ordered.")
    assert not pricing.is_priced(tea, CT.KEY, PRICE_LISTS)
    assert pricing.is_priced(tea, CT.RETAIL, PRICE_LISTS)


def test_a_customer_type_without_a_column_can_order_nothing() -> None:
    tea = product("TEA-1")
    with pytest.raises(pricing.NotPriced, match="No price list is set for marketer customers"):
        pricing.unit_price(tea, CT.MARKETER, PRICE_LISTS)
    assert not pricing.is_priced(tea, CT.MARKETER, PRICE_LISTS)


@pytest.mark.parametrize(("quantity", "price", "discount", "expected"), [
    (3, "10.00", "0", "30.00"),
    (1, "2.01", "50", "1.01"),       # 1.005 rounds half up, not to even
    (1, "0.01", "50", "0.01"),       # 0.005 -> 0.01
    (1, "0.01", "60", "0.00"),       # 0.004 -> 0.00
    (7, "19.99", "100", "0.00"),     # free
    (0, "19.99", "0", "0.00"),
    (1_000_000, "9999999999.99", "0", "9999999999990000.00"),  # exact, no float on the way
    (3, "33.33", "33.33", "66.66"),  # 99.99 x 0.6667 = 66.663333
])
def test_line_totals(quantity: int, price: str, discount: str, expected: str) -> None:
    total = pricing.line_total(quantity, D(price), D(discount))
    assert str(total) == expected


def test_subtotal_is_the_sum_of_rounded_lines_and_tax_rounds_half_up() -> None:
    lines = [schema.OrderLineIn(sku="A", quantity=1, unit_price=D("0.01"),
                                discount_percent=D(50)),
             schema.OrderLineIn(sku="B", quantity=1, unit_price=D("0.01"),
                                discount_percent=D(50))]
    totals = pricing.order_totals(lines, D(5))
    # Each line is 0.005 -> 0.01, so the subtotal is 0.02 (not 0.01 from the unrounded sum).
    assert totals.line_totals == (D("0.01"), D("0.01"))
    assert totals.subtotal == D("0.02")
    assert totals.tax == D("0.00")  # 0.001
    half_cent_tax = pricing.order_totals(
        [schema.OrderLineIn(sku="A", quantity=1, unit_price=D("0.10"))], D(5))
    assert (half_cent_tax.tax, half_cent_tax.total) == (D("0.01"), D("0.11"))  # 0.005 up


def test_no_lines_total_nothing() -> None:
    totals = pricing.order_totals([], D(20))
    assert (str(totals.subtotal), str(totals.tax), str(totals.total)) == ("0.00", "0.00", "0.00")


def test_the_thread_decimal_context_does_not_change_the_sums() -> None:
    import decimal

    with decimal.localcontext(decimal.Context(prec=5, rounding=decimal.ROUND_DOWN)):
        assert pricing.line_total(1_000_000, D("1234.57"), D("12.5")) == D("1080248750.00")


# ---------------------------------------------------------------------------- discounts
def best(rules: list[schema.DiscountRule], kind: CT = CT.RETAIL, sku: str = "TEA-1",
         quantity: int = 1, value: str = "0") -> str | None:
    chosen = pricing.best_discount(rules, customer_type=kind, sku=sku, quantity=quantity,
                                   order_list_value=D(value))
    return chosen.id if chosen else None


def test_each_condition_of_a_rule_must_hold() -> None:
    rules = [rule("keys", "7", customer_type=CT.KEY), rule("tea", "4", sku="TEA-1"),
             rule("bulk", "5", min_quantity=10), rule("big", "6", min_order_total=D(500))]
    assert best(rules, kind=CT.RETAIL, sku="COF-1", quantity=9, value="499.99") is None
    assert best(rules, kind=CT.RETAIL, sku="TEA-1", quantity=9, value="499.99") == "tea"
    assert best(rules, kind=CT.RETAIL, sku="COF-1", quantity=10, value="0") == "bulk"
    assert best(rules, kind=CT.RETAIL, sku="COF-1", quantity=1, value="500") == "big"
    assert best(rules, kind=CT.KEY, sku="COF-1") == "keys"


def test_rules_do_not_stack_the_highest_wins_and_ties_go_to_the_first_listed() -> None:
    rules = [rule("a", "5", min_quantity=10), rule("b", "12", sku="TEA-1"),
             rule("c", "12", customer_type=CT.RETAIL)]
    assert best(rules, quantity=10) == "b"
    assert best(list(reversed(rules)), quantity=10) == "c"
    assert best(rules, sku="COF-1", quantity=10) == "c"


def test_a_rule_needing_all_conditions_loses_to_none_when_one_fails() -> None:
    strict = [rule("key-bulk-tea", "15", customer_type=CT.KEY, sku="TEA-1", min_quantity=100)]
    assert best(strict, kind=CT.KEY, quantity=99) is None
    assert best(strict, kind=CT.REGIONAL, quantity=100) is None
    assert best(strict, kind=CT.KEY, quantity=100) == "key-bulk-tea"


def test_the_order_value_for_thresholds_is_before_discounts() -> None:
    # 50 x 10.00 = 500.00 at list prices reaches the threshold; a 10 % discount on it
    # would bring the order to 450.00, yet the discount stays.
    lists = price_lists(rule("big", "10", min_order_total=D(500)))
    draft = OrderDraft(customer_id="C-1", customer_type=CT.RETAIL)
    draft.add_product(product("TEA-1"), lists, 50)
    assert draft.lines[0].discount_percent == D(10)
    assert draft.totals(D(0)).total == D("450.00")
    assert pricing.list_value([(50, D("10.00")), (0, D("3.00")), (-4, D("3.00"))]) == D(500)


# ------------------------------------------------------------------- the server's path
@pytest.fixture(scope="module")
def crm_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    pytest.importorskip("fastapi")  # the server extra
    from softphone.crm.server import importer
    from softphone.crm.server.database import Database

    path = Path(tmp_path_factory.mktemp("crm")) / "crm.sqlite3"
    database = Database(f"sqlite:///{path}")
    database.upgrade()
    importer.apply(database, importer.ImportData(
        price_lists=price_lists(tax="7.25"), customers=[customer()],
        products=[product(f"P-{n}") for n in range(8)]), T0)
    yield database
    database.close()


def random_lines(seed: int) -> list[schema.OrderLineIn]:
    pick = random.Random(seed)
    edge_prices = ["0.01", "0.05", "2.01", "0.99", "19.99", "33.33", "99999.99"]
    return [schema.OrderLineIn(
        sku=f"P-{index}",
        quantity=pick.choice([1, 3, 7, 999, pick.randint(1, 1_000)]),
        unit_price=D(pick.choice([*edge_prices, f"{pick.randint(1, 500_000) / 100:.2f}"])),
        discount_percent=D(pick.choice(["0", "50", "12.5", "33.33", "99.99", "100",
                                        f"{pick.randint(0, 10_000) / 100:.2f}"])))
        for index in range(pick.randint(1, 8))]


def test_the_crm_server_stores_exactly_the_totals_the_app_shows(crm_database: object) -> None:
    from softphone.crm.server import store
    from softphone.crm.server.database import Database

    assert isinstance(crm_database, Database)
    for seed in range(60):
        lines = random_lines(seed)
        order = schema.OrderCreate(
            customer_id="C-1", lines=lines, payment_method="invoice",
            delivery=schema.Delivery(method=schema.DeliveryMethod.PICKUP, date=T0.date()))
        with crm_database.write() as session:
            stored = store.create_order(session, order, T0)
        shown = pricing.order_totals(lines, D("7.25"))
        assert [line.line_total for line in stored.lines] == list(shown.line_totals), seed
        assert (stored.subtotal, stored.tax, stored.total) == (
            shown.subtotal, shown.tax, shown.total), seed

"""The order draft: adding, changing and removing lines, repricing, autosave, the CRM form."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from softphone.crm import schema
from softphone.orders import pricing
from softphone.orders.draft import MAX_DRAFT_BYTES, DraftFormatError, DraftLine, OrderDraft
from tests.core.orders_samples import PRICE_LISTS, customer, price_lists, product, rule

CT = schema.CustomerType
D = Decimal


def retail_draft() -> OrderDraft:
    return OrderDraft.for_customer(customer(), call_id="call-9", agent="Ann")


def test_a_new_draft_is_prefilled_from_the_customer() -> None:
    draft = retail_draft()
    assert (draft.customer_id, draft.customer_type, draft.delivery_address) == (
        "C-1", CT.RETAIL, "12 Harbour Rd")
    assert draft.delivery_method is schema.DeliveryMethod.DELIVERY
    assert (draft.call_id, draft.agent, draft.lines) == ("call-9", "Ann", [])
    regional = OrderDraft.for_customer(customer(CT.REGIONAL))
    assert regional.delivery_method is schema.DeliveryMethod.SHIPPING
    assert draft.draft_id != regional.draft_id


def test_adding_a_product_twice_increases_its_quantity() -> None:
    draft = retail_draft()
    draft.add_product(product("TEA-1", name="Green tea", unit="box"), PRICE_LISTS)
    draft.add_product(product("TEA-1", name="Green tea", unit="box"), PRICE_LISTS, 4)
    assert draft.lines == [DraftLine(sku="TEA-1", name="Green tea", unit="box", quantity=5,
                                     unit_price=D("10.00"))]
    assert draft.totals(PRICE_LISTS.tax_percent).total == D("60.00")


def test_a_product_without_a_price_is_refused_and_the_draft_is_unchanged() -> None:
    draft = OrderDraft.for_customer(customer(CT.KEY))
    before = draft.updated_at
    with pytest.raises(pricing.NotPriced, match="cannot be ordered"):
        draft.add_product(product("TEA-1", wholesale=None), PRICE_LISTS)
    assert draft.lines == []
    assert draft.updated_at == before


def test_one_lines_quantity_can_change_anothers_discount() -> None:
    lists = price_lists(rule("big", "10", min_order_total=D(100)))
    draft = retail_draft()
    draft.add_product(product("TEA-1"), lists, 5)  # 50.00
    draft.add_product(product("COF-1"), lists, 4)  # 40.00
    assert [line.discount_percent for line in draft.lines] == [0, 0]
    draft.set_quantity("COF-1", 5, lists)  # 100.00 at list prices
    assert [line.discount_rule_id for line in draft.lines] == ["big", "big"]
    assert draft.totals(D(0)).total == D("90.00")
    draft.remove_line("COF-1", lists)
    assert [(line.sku, line.discount_percent) for line in draft.lines] == [("TEA-1", 0)]


def test_quantities_as_typed_are_kept_within_bounds() -> None:
    draft = retail_draft()
    draft.add_product(product("TEA-1"), PRICE_LISTS)
    draft.set_quantity("TEA-1", 0, PRICE_LISTS)
    assert draft.lines[0].quantity == 0
    draft.set_quantity("TEA-1", -3, PRICE_LISTS)
    assert draft.lines[0].quantity == 0
    draft.set_quantity("TEA-1", 10**30, PRICE_LISTS)
    assert draft.lines[0].quantity == 1_000_001  # over the limit, for the rules to flag
    with pytest.raises(KeyError):
        draft.set_quantity("NOPE", 1, PRICE_LISTS)


def test_repricing_follows_new_price_lists_and_marks_what_can_no_longer_be_ordered() -> None:
    draft = retail_draft()
    for sku in ("TEA-1", "COF-1", "JAM-1"):
        draft.add_product(product(sku), PRICE_LISTS)
    catalogue = {"TEA-1": product("TEA-1", retail="12.50", name="Green tea 2"),
                 "COF-1": product("COF-1", retail=None)}
    draft.reprice(catalogue, price_lists(rule("all", "10")))
    tea, coffee, jam = draft.lines
    assert (tea.unit_price, tea.name, tea.unavailable, tea.discount_percent) == (
        D("12.50"), "Green tea 2", "", D(10))
    assert coffee.unit_price == D("10.00") and "no price" in coffee.unavailable
    assert jam.unavailable == ("Product JAM-1 is no longer in the catalogue: "
                               "remove it from the order.")
    draft.reprice({**catalogue, "COF-1": product("COF-1")}, PRICE_LISTS)
    assert draft.lines[1].unavailable == ""


def test_offers_and_dismissal_are_recorded() -> None:
    draft = retail_draft()
    draft.add_product(product("NEW-1"), PRICE_LISTS, offered=True)
    draft.mark_offered("SPC-1")
    draft.mark_offered("SPC-1")
    assert draft.offered_skus == ["NEW-1", "SPC-1"]
    assert draft.suggestions_dismissed_at is None
    draft.dismiss_suggestions()
    first = draft.suggestions_dismissed_at
    assert first is not None and first.tzinfo is not None
    draft.dismiss_suggestions()
    assert draft.suggestions_dismissed_at == first


def complete_draft() -> OrderDraft:
    draft = retail_draft()
    draft.add_product(product("TEA-1"), price_lists(rule("bulk", "5", min_quantity=3)), 3)
    draft.delivery_date = date(2026, 12, 1)
    draft.delivery_window = "9-12"
    draft.contact_person = "Mai"
    draft.payment_method = "invoice"
    draft.documents = ["invoice", "delivery note"]
    draft.notes = "Ring twice — قهوه"
    draft.mark_offered("NEW-1")
    draft.dismiss_suggestions()
    return draft


def test_the_json_round_trip_keeps_everything() -> None:
    draft = complete_draft()
    restored = OrderDraft.from_json(draft.to_json())
    assert restored == draft
    assert restored.lines[0].discount_percent == D(5)


def test_an_older_or_newer_saved_draft_is_read_leniently() -> None:
    saved = json.loads(complete_draft().to_json())
    saved["added_in_a_later_version"] = {"x": 1}
    del saved["documents"], saved["updated_at"], saved["delivery_window"]
    saved["delivery_date"] = "not a date"
    saved["customer_type"] = "galactic"
    saved["notes"] = "n" * 10_000
    saved["lines"] += [
        {"sku": "OLD-9", "name": "Discontinued", "quantity": 2, "unit_price": "3.50"},
        {"sku": "TEA-1", "quantity": 99, "unit_price": "1.00"},  # a duplicate: first wins
        {"sku": "BAD-1", "quantity": "2", "unit_price": "3.50"},
        {"sku": "BAD-2", "quantity": 2, "unit_price": "NaN"},
        "not a line",
    ]
    restored = OrderDraft.from_json(json.dumps(saved))
    assert [(line.sku, line.quantity) for line in restored.lines] == [("TEA-1", 3), ("OLD-9", 2)]
    assert restored.documents == [] and restored.delivery_window == ""
    assert restored.delivery_date is None
    assert restored.customer_type is CT.NEW
    assert len(restored.notes) == 4000
    assert restored.updated_at == restored.created_at
    # A product gone since the draft was saved is flagged once prices are refreshed.
    restored.reprice({"TEA-1": product("TEA-1")}, PRICE_LISTS)
    assert "no longer in the catalogue" in restored.lines[1].unavailable


@pytest.mark.parametrize("text", ["", "[1, 2]", "{not json", '{"lines": []}',
                                  '{"customer_id": "C-1", "notes": "' + "x" * MAX_DRAFT_BYTES
                                  + '"}'])
def test_what_is_not_a_draft_is_refused(text: str) -> None:
    with pytest.raises(DraftFormatError):
        OrderDraft.from_json(text)


def test_a_minimal_draft_from_an_early_version_gets_defaults() -> None:
    restored = OrderDraft.from_json('{"customer_id": "C-7"}')
    assert restored.customer_id == "C-7" and restored.lines == []
    assert len(restored.draft_id) == 32
    assert restored.created_at.tzinfo is not None


def test_the_order_sent_to_the_crm() -> None:
    order = complete_draft().to_order_create()
    assert order == schema.OrderCreate(
        customer_id="C-1",
        lines=[schema.OrderLineIn(sku="TEA-1", quantity=3, unit_price=D("10.00"),
                                  discount_percent=D(5))],
        delivery=schema.Delivery(method=schema.DeliveryMethod.DELIVERY, date=date(2026, 12, 1),
                                 window="9-12", contact_person="Mai", address="12 Harbour Rd"),
        payment_method="invoice", documents=["invoice", "delivery note"],
        notes="Ring twice — قهوه", offered_skus=["NEW-1"], suggestions_dismissed=True,
        call_id="call-9", agent="Ann")


def test_an_incomplete_draft_is_not_an_order() -> None:
    draft = complete_draft()
    draft.delivery_date = None
    with pytest.raises(ValueError, match="delivery date"):
        draft.to_order_create()
    draft = complete_draft()
    draft.set_quantity("TEA-1", 0, PRICE_LISTS)
    with pytest.raises(ValueError):
        draft.to_order_create()


def test_changes_move_the_updated_time() -> None:
    draft = retail_draft()
    draft.updated_at = datetime(2000, 1, 1, tzinfo=UTC)
    draft.add_product(product("TEA-1"), PRICE_LISTS)
    assert draft.updated_at.year > 2000
    assert draft.created_at <= draft.updated_at


def test_a_restored_draft_takes_the_customers_current_type() -> None:
    draft = retail_draft()
    draft.add_product(product("TEA-1", retail="10.00", wholesale="8.00"), PRICE_LISTS)
    restored = OrderDraft.from_json(draft.to_json())
    restored.reprice({"TEA-1": product("TEA-1")}, PRICE_LISTS, CT.KEY)
    assert (restored.customer_type, restored.lines[0].unit_price) == (CT.KEY, D("8.00"))
    restored.reprice({"TEA-1": product("TEA-1")}, PRICE_LISTS, CT.MARKETER)
    assert "No price list is set for marketer customers" in restored.lines[0].unavailable

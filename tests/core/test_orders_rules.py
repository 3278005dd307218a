"""The rules an order must pass: the messages an agent sees, and what blocks submission."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from softphone.crm import schema
from softphone.orders import rules
from softphone.orders.draft import OrderDraft
from tests.core.orders_samples import PRICE_LISTS, customer, product

CT = schema.CustomerType
DM = schema.DeliveryMethod
D = Decimal
TODAY = date(2026, 11, 20)
ANN = schema.Manager(name="Ann Lee", extension="204")
CATALOGUE = {"TEA-1": product("TEA-1", stock=5, unit="box", name="Green tea")}


def ready_draft(who: schema.Customer, quantity: int = 2) -> OrderDraft:
    """A draft that passes every rule for a retail customer."""
    draft = OrderDraft.for_customer(who)
    draft.add_product(CATALOGUE["TEA-1"], PRICE_LISTS, quantity)
    draft.delivery_date = TODAY
    draft.contact_person = "Mai"
    draft.payment_method = "invoice"
    for sku in ("NEW-1", "NEW-2", "SPC-1"):
        draft.mark_offered(sku)
    return draft


def check(draft: OrderDraft, who: schema.Customer, offer_minimum: int = 3) -> rules.Review:
    return rules.review(draft, who, products=CATALOGUE, price_lists=PRICE_LISTS,
                        offer_minimum=offer_minimum, today=TODAY)


def messages(review: rules.Review) -> dict[str, list[tuple[str, bool]]]:
    found: dict[str, list[tuple[str, bool]]] = {}
    for problem in review.problems:
        found.setdefault(problem.field, []).append((problem.message, problem.blocking))
    return found


def test_a_complete_order_can_be_submitted() -> None:
    review = check(ready_draft(customer()), customer())
    assert review.problems == ()
    assert review.can_submit and review.debt is None and review.offers_needed == 0


def test_an_empty_order_cannot_be_submitted() -> None:
    draft = ready_draft(customer())
    draft.remove_line("TEA-1", PRICE_LISTS)
    review = check(draft, customer())
    assert messages(review) == {"lines": [("The order has no products yet.", True)]}
    assert not review.can_submit


@pytest.mark.parametrize(("quantity", "message"), [
    (0, "Enter a quantity of Green tea of at least 1."),
    (2_000_000, "At most 1,000,000 of one product per order."),
])
def test_quantities_out_of_range_block(quantity: int, message: str) -> None:
    draft = ready_draft(customer())
    draft.set_quantity("TEA-1", quantity, PRICE_LISTS)
    review = check(draft, customer())
    assert (message, True) in messages(review)["lines.0.quantity"]
    assert not review.can_submit


def test_more_than_in_stock_is_only_a_warning() -> None:
    review = check(ready_draft(customer(), quantity=6), customer())
    assert messages(review) == {"lines.0.quantity": [(
        "Only 5 box of Green tea in stock: tell the customer the rest may come later.", False)]}
    assert review.can_submit
    assert review.warnings == review.problems


def test_a_line_that_can_no_longer_be_ordered_blocks() -> None:
    draft = ready_draft(customer())
    draft.reprice({}, PRICE_LISTS)
    review = check(draft, customer())
    assert review.for_field("lines.0.sku") == (rules.Problem(
        "lines.0.sku", "Green tea is no longer in the catalogue: remove it from the order."),)


@pytest.mark.parametrize(("when", "message"), [
    (None, "Agree the delivery date with the customer."),
    (TODAY - timedelta(days=1), "The delivery date is in the past."),
])
def test_the_delivery_date_is_required_and_not_past(when: date | None, message: str) -> None:
    draft = ready_draft(customer())
    draft.delivery_date = when
    assert messages(check(draft, customer())) == {"delivery.date": [(message, True)]}


def test_a_delivery_needs_someone_to_receive_it_and_an_address() -> None:
    draft = ready_draft(customer())
    draft.contact_person = "  "
    draft.delivery_address = ""
    assert messages(check(draft, customer())) == {
        "delivery.contact_person": [("Ask who will be there to receive the goods.", True)],
        "delivery.address": [("Enter the delivery address.", True)]}


def test_the_payment_method_is_required() -> None:
    draft = ready_draft(customer())
    draft.payment_method = ""
    assert messages(check(draft, customer())) == {
        "payment_method": [("Agree the payment method for the order.", True)]}


# ------------------------------------------------------------------- regional customers
def regional_draft(method: DM, **fields: Any) -> tuple[OrderDraft, schema.Customer]:
    who = customer(CT.REGIONAL)
    draft = ready_draft(who)
    draft.delivery_method = method
    for name, value in fields.items():
        setattr(draft, name, value)
    return draft, who


def test_regional_customers_pick_up_or_have_goods_shipped() -> None:
    draft, who = regional_draft(DM.DELIVERY)
    assert messages(check(draft, who)) == {"delivery.method": [(
        "Regional customers pick up or have the goods shipped: choose pick-up or shipping.",
        True)]}


def test_regional_pick_up_needs_the_date_they_come_and_the_payment_method() -> None:
    draft, who = regional_draft(DM.PICKUP, delivery_date=None, payment_method="",
                                contact_person="")
    assert messages(check(draft, who)) == {
        "delivery.date": [("Agree the pick-up date with the customer.", True)],
        "payment_method": [("Agree the payment method for regional customers.", True)]}
    draft.delivery_date, draft.payment_method = TODAY, "cash on pick-up"
    assert check(draft, who).can_submit


def test_regional_shipping_needs_the_shipping_details() -> None:
    draft, who = regional_draft(DM.SHIPPING)
    assert messages(check(draft, who)) == {"delivery.shipping_details": [(
        "Agree the shipping details (carrier, destination).", True)]}
    draft.shipping_details = "Rail freight to Cluj, depot 4"
    assert check(draft, who).can_submit


# ------------------------------------------------------------------------------ debts
def test_overdue_debt_blocks_with_the_reason_and_the_manager_to_transfer_to() -> None:
    who = customer(overdue_debt=D("1250"), manager=ANN)
    review = check(ready_draft(who), who)
    reason = ("Overdue debt of 1,250.00 — tell the customer and transfer to their manager "
              "Ann Lee, ext. 204.")
    assert review.debt == rules.DebtBlock(reason=reason, transfer_to="204",
                                          manager_name="Ann Lee")
    assert review.blocking == (rules.Problem("customer", reason),)
    assert not review.can_submit


def test_an_overpayment_blocks_too() -> None:
    who = customer(overpayment=D("300.5"), overdue_debt=D("10"), manager=ANN)
    block = rules.debt_block(who)
    assert block is not None
    assert block.reason == ("Overdue debt of 10.00 and an overpayment of 300.50 — tell the "
                            "customer and transfer to their manager Ann Lee, ext. 204.")


@pytest.mark.parametrize(("manager", "target"), [
    (None, "finance (no manager is assigned)"),
    (schema.Manager(name="Ann Lee", extension=" "),
     "their manager Ann Lee (no extension on file) or to finance"),
])
def test_without_an_extension_there_is_no_transfer_target(
        manager: schema.Manager | None, target: str) -> None:
    block = rules.debt_block(customer(overpayment=D(1), manager=manager))
    assert block is not None and block.transfer_to is None
    assert block.reason.endswith(f"transfer to {target}.")


def test_no_debt_no_block() -> None:
    assert rules.debt_block(customer(balance=D("900"), manager=ANN)) is None


@pytest.mark.parametrize(("balance", "warned"), [("80", False), ("80.01", True)])
def test_going_over_the_credit_limit_is_a_warning(balance: str, warned: bool) -> None:
    who = customer(balance=D(balance), credit_limit=D(104))
    review = check(ready_draft(who), who)  # 2 x 10.00 + 20 % tax = 24.00
    assert review.can_submit
    expected = [(f"Balance {D(balance):,.2f} plus this order 24.00 exceeds the credit limit "
                 "of 104.00.", False)] if warned else None
    assert messages(review).get("total") == expected


def test_no_credit_limit_set_means_no_warning() -> None:
    who = customer(balance=D("99999"), credit_limit=D(0))
    assert check(ready_draft(who), who).problems == ()


# ------------------------------------------------------------------------------ offers
def test_the_order_cannot_be_closed_before_enough_products_were_offered() -> None:
    draft = ready_draft(customer())
    draft.offered_skus = ["NEW-1"]
    review = check(draft, customer(), offer_minimum=3)
    assert review.offers_needed == 2
    assert messages(review) == {"suggestions": [(
        "Offer 2 more products from the suggestions before closing the order, or dismiss "
        "the prompt.", True)]}
    draft.add_product(product("SPC-1"), PRICE_LISTS, offered=True)
    assert check(draft, customer()).offers_needed == 1
    draft.mark_offered("NEW-2")
    assert check(draft, customer()).can_submit
    assert check(draft, customer(), offer_minimum=4).offers_needed == 1


def test_dismissing_the_prompt_lets_the_order_close_and_is_sent_with_it() -> None:
    draft = ready_draft(customer())
    draft.offered_skus = []
    assert not check(draft, customer()).can_submit
    draft.dismiss_suggestions()
    assert check(draft, customer()).can_submit
    assert draft.to_order_create().suggestions_dismissed


def test_a_zero_minimum_needs_no_offers() -> None:
    draft = ready_draft(customer())
    draft.offered_skus = []
    assert check(draft, customer(), offer_minimum=0).can_submit


def test_a_draft_passing_the_rules_is_a_valid_crm_order() -> None:
    draft, who = regional_draft(DM.SHIPPING, shipping_details="Courier to Iasi")
    assert check(draft, who).can_submit
    order = draft.to_order_create()
    assert order.delivery.shipping_details == "Courier to Iasi"


def test_over_long_text_is_flagged_before_the_crm_refuses_it() -> None:
    draft = ready_draft(customer())
    draft.contact_person = "x" * 201
    draft.notes = "y" * 4001
    assert messages(check(draft, customer())) == {
        "delivery.contact_person": [("Too long: at most 200 characters.", True)],
        "notes": [("Too long: at most 4,000 characters.", True)]}


def test_an_order_too_large_for_the_crm_blocks() -> None:
    draft = ready_draft(customer())
    draft.add_product(product("GOLD-1", retail="9999999999.99"), PRICE_LISTS, 1_000_000)
    assert messages(check(draft, customer())) == {"total": [(
        "The order is too large for the CRM to hold: split it.", True)]}

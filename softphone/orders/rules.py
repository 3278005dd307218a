"""Whether an order can be taken and submitted, in plain words next to the field at fault.

Pure functions, safe on any thread; the order form calls :func:`review` on the GUI
thread after each change (inline validation) and before submitting (Ctrl+Enter).
Imports no Qt.

Public names
    :class:`Problem`, :class:`DebtBlock`, :class:`Review`, :func:`review`,
    :func:`debt_block`, :func:`manager_extension`, :func:`money`, :func:`offers_made`,
    and the field names below.

Field names (``Problem.field``) follow the CRM's error paths:
    ``customer`` (debt), ``lines`` (the order as a whole), ``lines.N.quantity`` and
    ``lines.N.sku`` (N counts from 0 in the draft's order), ``delivery.method``,
    ``delivery.date``, ``delivery.window``, ``delivery.contact_person``, ``delivery.address``,
    ``delivery.shipping_details``, ``payment_method``, ``notes``, ``total`` (credit
    limit, size) and ``suggestions`` (the offer rule).

A blocking problem stops submission; a warning is shown and the agent may go on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from softphone.crm import schema
from softphone.orders import pricing
from softphone.orders.draft import MAX_QUANTITY, OrderDraft

_NOTES_LIMIT = 4000  # schema.LongText
_TEXT_LIMITS = {"delivery.contact_person": 200, "payment_method": 200, "delivery.window": 32,
                "delivery.address": 4000, "delivery.shipping_details": 4000}


@dataclass(frozen=True)
class Problem:
    """What is wrong with ``field``, said so that the agent knows what to do."""

    field: str
    message: str
    blocking: bool = True


@dataclass(frozen=True)
class DebtBlock:
    """Why the order cannot be taken, and where to transfer the call.

    ``transfer_to`` is the assigned manager's extension, or None when there is no manager
    or no extension on file (the agent transfers to finance by hand).
    """

    reason: str
    transfer_to: str | None
    manager_name: str | None


@dataclass(frozen=True)
class Review:
    """Everything the rules found: show each problem next to its field."""

    problems: tuple[Problem, ...]
    debt: DebtBlock | None
    offers_needed: int

    @property
    def can_submit(self) -> bool:
        return not any(problem.blocking for problem in self.problems)

    @property
    def blocking(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.blocking)

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if not problem.blocking)

    def for_field(self, field: str) -> tuple[Problem, ...]:
        return tuple(problem for problem in self.problems if problem.field == field)


def money(amount: Decimal) -> str:
    """``Decimal("-12400.5")`` -> ``-12,400.50`` (two decimals, grouped thousands)."""
    return f"{amount:,.2f}"


def manager_extension(customer: schema.Customer) -> str | None:
    """The extension of the customer's assigned manager, None when there is none on file."""
    manager = customer.manager
    return (manager.extension.strip() or None) if manager else None


def debt_block(customer: schema.Customer) -> DebtBlock | None:
    """The block domain step 4 asks for: no order while debt or overpayment is open."""
    owed = []
    if customer.overdue_debt > 0:
        owed.append(f"overdue debt of {money(customer.overdue_debt)}")
    if customer.overpayment > 0:
        owed.append(f"an overpayment of {money(customer.overpayment)}")
    if not owed:
        return None
    manager = customer.manager
    extension = manager_extension(customer)
    if manager and extension:
        target = f"their manager {manager.name}, ext. {extension}"
    elif manager:
        target = f"their manager {manager.name} (no extension on file) or to finance"
    else:
        target = "finance (no manager is assigned)"
    owing = " and ".join(owed)
    reason = f"{owing[0].upper()}{owing[1:]} — tell the customer and transfer to {target}."
    return DebtBlock(reason=reason, transfer_to=extension,
                     manager_name=manager.name if manager else None)


def offers_made(draft: OrderDraft) -> int:
    """How many extra products the agent has offered (added from suggestions or marked)."""
    return len(set(draft.offered_skus))


def review(draft: OrderDraft, customer: schema.Customer, *,
           products: Mapping[str, schema.Product], price_lists: schema.PriceLists,
           offer_minimum: int, today: date) -> Review:
    """Check ``draft`` for ``customer`` against the catalogue and the trade's rules.

    ``today`` is the agent's local date (a delivery cannot be in the past);
    ``offer_minimum`` is the ``orders.offer_minimum`` setting. Any thread.
    """
    debt = debt_block(customer)
    needed = 0 if draft.suggestions_dismissed_at else max(0, offer_minimum - offers_made(draft))
    problems = [
        *([Problem("customer", debt.reason)] if debt else []),
        *_line_problems(draft, products),
        *_delivery_problems(draft, customer, today),
        *_payment_problems(draft, customer),
        *_text_problems(draft),
        *_total_problems(draft, customer, price_lists),
    ]
    if needed:
        problems.append(Problem(
            "suggestions", f"Offer {needed} more product{'s' if needed > 1 else ''} from the "
            "suggestions before closing the order, or dismiss the prompt."))
    return Review(problems=tuple(problems), debt=debt, offers_needed=needed)


def _line_problems(draft: OrderDraft, products: Mapping[str, schema.Product]) -> list[Problem]:
    if not draft.lines:
        return [Problem("lines", "The order has no products yet.")]
    problems = []
    for index, line in enumerate(draft.lines):
        where = f"lines.{index}"
        if line.unavailable:
            problems.append(Problem(f"{where}.sku", line.unavailable))
        if line.quantity < 1:
            problems.append(Problem(f"{where}.quantity",
                                    f"Enter a quantity of {line.name} of at least 1."))
        elif line.quantity > MAX_QUANTITY:
            problems.append(Problem(f"{where}.quantity",
                                    f"At most {MAX_QUANTITY:,} of one product per order."))
        product = products.get(line.sku)
        # Only a warning: the cached stock may be hours old and the warehouse takes
        # back-orders, so the customer may still want the goods; the manager decides.
        if product is not None and line.quantity > product.stock:
            problems.append(Problem(
                f"{where}.quantity", f"Only {product.stock:,} {product.unit} of {line.name} in "
                "stock: tell the customer the rest may come later.", blocking=False))
    return problems


def _delivery_problems(draft: OrderDraft, customer: schema.Customer,
                       today: date) -> list[Problem]:
    method = schema.DeliveryMethod
    problems = []
    regional = customer.type is schema.CustomerType.REGIONAL
    if regional and draft.delivery_method is method.DELIVERY:
        problems.append(Problem("delivery.method", "Regional customers pick up or have the "
                                "goods shipped: choose pick-up or shipping."))
    when = "pick-up date" if draft.delivery_method is method.PICKUP else "delivery date"
    if draft.delivery_date is None:
        problems.append(Problem("delivery.date", f"Agree the {when} with the customer."))
    elif draft.delivery_date < today:
        problems.append(Problem("delivery.date", f"The {when} is in the past."))
    if draft.delivery_method is not method.PICKUP and not draft.contact_person.strip():
        problems.append(Problem("delivery.contact_person",
                                "Ask who will be there to receive the goods."))
    if draft.delivery_method is method.DELIVERY and not draft.delivery_address.strip():
        problems.append(Problem("delivery.address", "Enter the delivery address."))
    if draft.delivery_method is method.SHIPPING and not draft.shipping_details.strip():
        problems.append(Problem("delivery.shipping_details",
                                "Agree the shipping details (carrier, destination)."))
    return problems


def _payment_problems(draft: OrderDraft, customer: schema.Customer) -> list[Problem]:
    if draft.payment_method.strip():
        return []
    who = "regional customers" if customer.type is schema.CustomerType.REGIONAL else "the order"
    return [Problem("payment_method", f"Agree the payment method for {who}.")]


def _text_problems(draft: OrderDraft) -> list[Problem]:
    values = {"delivery.contact_person": draft.contact_person,
              "payment_method": draft.payment_method, "delivery.window": draft.delivery_window,
              "delivery.address": draft.delivery_address,
              "delivery.shipping_details": draft.shipping_details}
    problems = [Problem(field, f"Too long: at most {_TEXT_LIMITS[field]:,} characters.")
                for field, value in values.items() if len(value) > _TEXT_LIMITS[field]]
    if len(draft.notes) > _NOTES_LIMIT:
        problems.append(Problem("notes", f"Too long: at most {_NOTES_LIMIT:,} characters."))
    return problems


def _total_problems(draft: OrderDraft, customer: schema.Customer,
                    price_lists: schema.PriceLists) -> list[Problem]:
    total = draft.totals(price_lists.tax_percent).total
    if total >= pricing.TOTAL_LIMIT:
        return [Problem("total", "The order is too large for the CRM to hold: split it.")]
    limit = customer.credit_limit
    if limit > 0 and customer.balance + total > limit:
        return [Problem("total", f"Balance {money(customer.balance)} plus this order "
                        f"{money(total)} exceeds the credit limit of {money(limit)}.",
                        blocking=False)]
    return []

"""What a customer pays: unit prices, discounts, line totals, tax and the grand total.

Pure functions over the CRM schema, safe on any thread (the order form calls them on the
GUI thread, the reference server on its request worker threads). Imports no Qt.

The arithmetic is the reference server's own: ``softphone.crm.server.store`` computes
every stored order with :func:`order_totals`, so the totals an agent sees are the totals
the CRM keeps.

Money rules
    * A line's total is ``quantity x unit price x (100 - discount %) / 100``, rounded to
      the cent, half up (0.005 -> 0.01).
    * The subtotal is the sum of the rounded line totals (so the lines on screen add up).
    * Tax is ``subtotal x tax % / 100``, rounded to the cent, half up.
    * The total is ``subtotal + tax``.

Discounts
    A :class:`~softphone.crm.schema.DiscountRule` applies to a line when every condition
    it sets matches: the customer's type, the line's SKU, the line's quantity (at least
    ``min_quantity``) and the order's value at list prices (at least ``min_order_total``).
    The value at list prices, before any discount, is used so that a discount can never
    undo the very threshold that granted it. Rules do not stack: a line gets the single
    applicable rule with the highest percentage; between equal percentages the rule
    listed first wins, so the choice never depends on anything but the price lists.

Public names: :data:`CENT`, :data:`TOTAL_LIMIT`, :class:`NotPriced`, :func:`unit_price`,
:func:`is_priced`, :func:`to_cents`, :func:`list_value`, :func:`best_discount`,
:func:`line_total`, :class:`PricedLine`, :class:`Totals`, :func:`order_totals`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, localcontext
from typing import Protocol

from softphone.crm import schema

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The CRM stores money with 14 digits, 2 of them decimals: totals must stay below this.
TOTAL_LIMIT = Decimal(10) ** 12
# Enough digits that no product of schema-bounded values is ever rounded before the
# final step to the cent, whatever context the calling thread has set.
_EXACT = Context(prec=60, rounding=ROUND_HALF_UP)


class NotPriced(ValueError):
    """The product has no price for this customer; ``str()`` says why in plain words."""


class PricedLine(Protocol):
    """What totals need of a line: both ``OrderLineIn`` and the draft's lines have it."""

    @property
    def quantity(self) -> int: ...
    @property
    def unit_price(self) -> Decimal: ...
    @property
    def discount_percent(self) -> Decimal: ...


@dataclass(frozen=True)
class Totals:
    """An order's money, every amount in cents; ``line_totals`` follow the lines' order."""

    line_totals: tuple[Decimal, ...]
    subtotal: Decimal
    tax: Decimal
    total: Decimal


def to_cents(value: Decimal) -> Decimal:
    """``value`` rounded to the cent, half up."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP, context=_EXACT)


def unit_price(product: schema.Product, customer_type: schema.CustomerType,
               price_lists: schema.PriceLists) -> Decimal:
    """The price ``product`` costs a customer of ``customer_type``; raises :class:`NotPriced`."""
    column_id = price_lists.column_for_type.get(customer_type)
    if column_id is None:
        raise NotPriced(f"No price list is set for {customer_type.value} customers, "
                        f"so {product.name} ({product.sku}) cannot be ordered for them.")
    price = product.prices.get(column_id)
    if price is None:
        raise NotPriced(f"{product.name} ({product.sku}) has no price in the "
                        f"{_column_name(price_lists, column_id)} price list that "
                        f"{customer_type.value} customers pay, so it cannot be ordered.")
    return price


def is_priced(product: schema.Product, customer_type: schema.CustomerType,
              price_lists: schema.PriceLists) -> bool:
    """Whether a customer of ``customer_type`` can order ``product`` at all."""
    column_id = price_lists.column_for_type.get(customer_type)
    return column_id is not None and column_id in product.prices


def _column_name(price_lists: schema.PriceLists, column_id: str) -> str:
    for column in price_lists.columns:
        if column.id == column_id:
            return f'"{column.name}"'
    return f'"{column_id}"'


def list_value(lines: Iterable[tuple[int, Decimal]]) -> Decimal:
    """The order's value at list prices, before discounts: what ``min_order_total`` tests.

    ``lines`` are (quantity, unit price) pairs; lines below one unit count for nothing.
    """
    with localcontext(_EXACT):
        return sum((price * max(quantity, 0) for quantity, price in lines), ZERO)


def _applies(rule: schema.DiscountRule, customer_type: schema.CustomerType, sku: str,
             quantity: int, order_list_value: Decimal) -> bool:
    return ((rule.customer_type is None or rule.customer_type == customer_type)
            and (rule.sku is None or rule.sku == sku)
            and quantity >= rule.min_quantity
            and (rule.min_order_total is None or order_list_value >= rule.min_order_total))


def best_discount(rules: Sequence[schema.DiscountRule], *,
                  customer_type: schema.CustomerType, sku: str, quantity: int,
                  order_list_value: Decimal) -> schema.DiscountRule | None:
    """The one rule that discounts this line (highest percent, first listed), or None."""
    best: schema.DiscountRule | None = None
    for rule in rules:
        if (_applies(rule, customer_type, sku, quantity, order_list_value)
                and (best is None or rule.percent > best.percent)):
            best = rule
    return best


def line_total(quantity: int, unit_price: Decimal, discount_percent: Decimal) -> Decimal:
    """``quantity`` x ``unit_price`` less ``discount_percent``, to the cent (half up)."""
    with localcontext(_EXACT):
        return to_cents(unit_price * quantity * (100 - discount_percent) / 100)


def order_totals(lines: Sequence[PricedLine], tax_percent: Decimal) -> Totals:
    """Line totals, subtotal, tax and total: the CRM server stores exactly these."""
    with localcontext(_EXACT):
        totals = tuple(line_total(line.quantity, line.unit_price, line.discount_percent)
                       for line in lines)
        subtotal = sum(totals, ZERO)
        tax = to_cents(subtotal * tax_percent / 100)
        return Totals(line_totals=totals, subtotal=subtotal, tax=tax, total=subtotal + tax)

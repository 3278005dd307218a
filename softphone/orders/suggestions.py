"""What to offer beyond the order (domain step 5), each with a short reason to say it.

Pure functions, safe on any thread; the order form calls :func:`suggest` on the GUI
thread when the order's lines change. Imports no Qt.

Four groups, shown in this order: specials management asks for, new products, what this
customer usually orders (by how many recent orders hold it, then by how recently), and
what is usual for the customer's type when the caller knows it. Each group gets a fair
share of the places, so a long list of new products cannot hide the customer's usual
ones; places a group cannot fill go to the next groups. Within the first two groups
products follow their names, so the list stays put while the agent works.

A product already in the order, unknown to the catalogue, or without a price for this
customer is never suggested. A product in several groups appears once, in the first,
with every reason.

Public names: :class:`Suggestion`, :func:`suggest`, :data:`DEFAULT_LIMIT`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from softphone.crm import schema
from softphone.orders import pricing
from softphone.orders.catalogue import fold

DEFAULT_LIMIT = 8
MAX_LIMIT = 50
SPECIAL = "special"
NEW = "new"
USUAL = "you usually order this"
ORDERED_ONCE = "you ordered this before"
# "usual for ...": who the customers of each type are, as the agent says it.
USUAL_FOR_TYPE = {
    schema.CustomerType.KEY: "usual for key accounts",
    schema.CustomerType.REGIONAL: "usual for regional customers",
    schema.CustomerType.RETAIL: "usual for retail customers",
    schema.CustomerType.MARKETER: "usual for marketers",
    schema.CustomerType.NEW: "usual for new customers",
}


@dataclass(frozen=True)
class Suggestion:
    """A product to offer and why (``reasons``, most important first)."""

    product: schema.Product
    reasons: tuple[str, ...]

    @property
    def sku(self) -> str:
        return self.product.sku

    @property
    def reason(self) -> str:
        """The reasons as one short text, e.g. ``"special, new"``."""
        return ", ".join(self.reasons)


def suggest(products: Mapping[str, schema.Product], customer: schema.Customer,
            price_lists: schema.PriceLists, *, recent_orders: Iterable[schema.Order] = (),
            usual_for_type: Sequence[str] = (), exclude: Collection[str] = (),
            limit: int = DEFAULT_LIMIT,
            flagged: Sequence[schema.Product] | None = None) -> list[Suggestion]:
    """Up to ``limit`` products to offer ``customer``, best first.

    ``products`` is the catalogue by SKU; ``recent_orders`` the customer's last orders;
    ``usual_for_type`` SKUs usual for the customer's type, most usual first, if known;
    ``exclude`` the SKUs already in the order; ``flagged`` the specials and new products
    by name when the caller has them ready (``Catalogue.flagged``), so a refresh on every
    key press does not scan the whole catalogue. Any thread.
    """
    def offerable(sku: str) -> bool:
        product = products.get(sku)
        return (product is not None and sku not in exclude
                and pricing.is_priced(product, customer.type, price_lists))

    if flagged is None:
        flagged = sorted((p for p in products.values() if p.is_special or p.is_new),
                         key=lambda p: (fold(p.name), p.sku))
    by_name = flagged
    usual = _usual(recent_orders)
    groups: list[list[str]] = [
        [p.sku for p in by_name if p.is_special],
        [p.sku for p in by_name if p.is_new],
        list(usual),
        list(dict.fromkeys(usual_for_type)),
    ]
    candidates = [[sku for sku in dict.fromkeys(group) if offerable(sku)] for group in groups]
    chosen = _pick(candidates, max(0, min(limit, MAX_LIMIT)))
    return [Suggestion(products[sku], _reasons(products[sku], usual, customer, usual_for_type))
            for sku in chosen]


def _usual(orders: Iterable[schema.Order]) -> dict[str, int]:
    """SKUs the customer ordered -> in how many orders, most frequent then most recent."""
    count: dict[str, int] = {}
    last: dict[str, datetime] = {}
    for order in orders:
        if order.status is schema.OrderStatus.CANCELLED:
            continue  # a cancelled order says little about what the customer wants
        for sku in {line.sku for line in order.lines}:
            count[sku] = count.get(sku, 0) + 1
            last[sku] = max(last.get(sku, order.created_at), order.created_at)
    ranked = sorted(count, key=lambda sku: (-count[sku], -last[sku].timestamp(), sku))
    return {sku: count[sku] for sku in ranked}


def _pick(groups: list[list[str]], limit: int) -> list[str]:
    """Up to ``limit`` SKUs: an equal share from each group, then what others leave."""
    filled = sum(1 for group in groups if group)
    share = -(-limit // filled) if filled else 0
    taken: list[list[str]] = [[] for _ in groups]
    seen: set[str] = set()
    for quota in (share, limit):  # the fair share first, then any place left
        for group, picked in zip(groups, taken, strict=True):
            for sku in group:
                if len(picked) >= quota or len(seen) >= limit:
                    break
                if sku not in seen:
                    seen.add(sku)
                    picked.append(sku)
    # Shown group by group, each in its own order.
    return [sku for group, picked in zip(groups, taken, strict=True)
            for sku in group if sku in picked]


def _reasons(product: schema.Product, usual: Mapping[str, int], customer: schema.Customer,
             usual_for_type: Sequence[str]) -> tuple[str, ...]:
    reasons = []
    if product.is_special:
        reasons.append(SPECIAL)
    if product.is_new:
        reasons.append(NEW)
    if product.sku in usual:
        reasons.append(USUAL if usual[product.sku] > 1 else ORDERED_ONCE)
    if product.sku in usual_for_type:
        reasons.append(USUAL_FOR_TYPE[customer.type])
    return tuple(reasons)

"""The order being taken: :class:`OrderDraft`, what the order form edits and autosaves.

A draft belongs to the GUI thread: the form changes it there and hands a copy
(:meth:`OrderDraft.to_json`) to whichever worker saves it. Imports no Qt.

Public names
    :class:`DraftLine`, :class:`OrderDraft` with
    :meth:`~OrderDraft.for_customer`, :meth:`~OrderDraft.add_product`,
    :meth:`~OrderDraft.set_quantity`, :meth:`~OrderDraft.remove_line`,
    :meth:`~OrderDraft.reprice`, :meth:`~OrderDraft.mark_offered`,
    :meth:`~OrderDraft.dismiss_suggestions`, :meth:`~OrderDraft.totals`,
    :meth:`~OrderDraft.list_value`, :meth:`~OrderDraft.to_json`,
    :meth:`~OrderDraft.from_json`, :meth:`~OrderDraft.to_order_create`;
    :class:`DraftFormatError`; :data:`MAX_DRAFT_BYTES`.

Every change goes through a method, which re-applies the discount rules to every line:
a rule may hang on the whole order's value, so one line's quantity can change the
discount of another.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from softphone.crm import schema
from softphone.orders import pricing

FORMAT_VERSION = 1
# An autosaved draft is read back after a crash: anything larger is not one of ours.
MAX_DRAFT_BYTES = 2_000_000
MAX_LINES = 500  # schema.OrderCreate
MAX_QUANTITY = 1_000_000  # schema.Quantity
MAX_OFFERED = 50  # schema.OrderCreate.offered_skus
MAX_DOCUMENTS = 20
_SHORT = 200
_LONG = 4000
_Choice = TypeVar("_Choice")


def _now() -> datetime:
    return datetime.now(UTC)


class DraftFormatError(ValueError):
    """A saved draft that cannot be read at all (not JSON, not an object, too large)."""


@dataclass
class DraftLine:
    """One product in the draft, priced for the draft's customer.

    ``unavailable`` is empty while the line can be ordered; otherwise it says why not
    (no longer in the catalogue, no price for this customer), and submission is blocked.
    """

    sku: str
    name: str
    unit: str
    quantity: int
    unit_price: Decimal
    discount_percent: Decimal = pricing.ZERO
    discount_rule_id: str = ""
    unavailable: str = ""


@dataclass
class OrderDraft:
    """An order in the making, with everything agreed on the call so far."""

    customer_id: str
    customer_type: schema.CustomerType
    draft_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    lines: list[DraftLine] = field(default_factory=list)
    delivery_method: schema.DeliveryMethod = schema.DeliveryMethod.DELIVERY
    delivery_date: date | None = None
    delivery_window: str = ""
    contact_person: str = ""
    delivery_address: str = ""
    shipping_details: str = ""
    payment_method: str = ""
    documents: list[str] = field(default_factory=list)
    notes: str = ""
    offered_skus: list[str] = field(default_factory=list)
    suggestions_dismissed_at: datetime | None = None
    call_id: str = ""
    agent: str = ""
    created_at: datetime = field(default_factory=_now)
    updated_at: datetime = field(default_factory=_now)

    # ----------------------------------------------------------------------- creating
    @classmethod
    def for_customer(cls, customer: schema.Customer, *, call_id: str = "",
                     agent: str = "") -> OrderDraft:
        """A new draft for ``customer``: regional customers default to shipping. GUI thread."""
        method = (schema.DeliveryMethod.SHIPPING
                  if customer.type is schema.CustomerType.REGIONAL
                  else schema.DeliveryMethod.DELIVERY)
        return cls(customer_id=customer.id, customer_type=customer.type,
                   delivery_method=method, delivery_address=customer.delivery_address,
                   call_id=call_id, agent=agent)

    # ----------------------------------------------------------------------- editing
    def line(self, sku: str) -> DraftLine | None:
        """The line for ``sku``, or None."""
        return next((line for line in self.lines if line.sku == sku), None)

    def add_product(self, product: schema.Product, price_lists: schema.PriceLists,
                    quantity: int = 1, *, offered: bool = False) -> DraftLine:
        """Add ``quantity`` of ``product``, or that many more if it is already in. GUI thread.

        Raises :class:`~softphone.orders.pricing.NotPriced` (nothing changes) when the
        customer has no price for it, and ValueError when the draft is full.
        ``offered``: the agent added it from the suggestions, so it counts as offered.
        """
        price = pricing.unit_price(product, self.customer_type, price_lists)
        line = self.line(product.sku)
        if line is None:
            if len(self.lines) >= MAX_LINES:
                raise ValueError(f"An order holds at most {MAX_LINES} products.")
            line = DraftLine(sku=product.sku, name=product.name, unit=product.unit,
                             quantity=0, unit_price=price)
            self.lines.append(line)
        line.quantity = _bounded_quantity(line.quantity + quantity)
        if offered:
            self._record_offer(product.sku)
        self._changed(price_lists)
        return line

    def set_quantity(self, sku: str, quantity: int, price_lists: schema.PriceLists) -> None:
        """Set the line's quantity as typed; 0 is kept for the rules to flag. GUI thread.

        Raises KeyError when no line has ``sku``.
        """
        line = self.line(sku)
        if line is None:
            raise KeyError(sku)
        line.quantity = _bounded_quantity(quantity)
        self._changed(price_lists)

    def remove_line(self, sku: str, price_lists: schema.PriceLists) -> None:
        """Take ``sku`` out of the order (nothing happens if it is not in). GUI thread."""
        self.lines = [line for line in self.lines if line.sku != sku]
        self._changed(price_lists)

    def reprice(self, products: Mapping[str, schema.Product],
                price_lists: schema.PriceLists,
                customer_type: schema.CustomerType | None = None) -> None:
        """Take prices, names and units from the current catalogue and price lists.

        Call it when they change, and on a draft restored after a restart, with the
        customer's ``customer_type`` as the CRM has it now (it may have changed since).
        A line whose product is gone or has no price for this customer keeps its last
        price, is marked ``unavailable`` with the reason, and blocks submission. GUI thread.
        """
        if customer_type is not None:
            self.customer_type = customer_type
        for line in self.lines:
            product = products.get(line.sku)
            if product is None:
                line.unavailable = (f"{line.name or line.sku} is no longer in the "
                                    "catalogue: remove it from the order.")
                continue
            line.name, line.unit = product.name, product.unit
            try:
                line.unit_price = pricing.unit_price(product, self.customer_type, price_lists)
            except pricing.NotPriced as reason:
                line.unavailable = str(reason)
            else:
                line.unavailable = ""
        self._changed(price_lists)

    def mark_offered(self, sku: str) -> None:
        """Record that the agent offered ``sku`` (taken or not). GUI thread."""
        self._record_offer(sku)
        self.updated_at = _now()

    def dismiss_suggestions(self) -> None:
        """Record that the agent dismissed the prompt to offer more, and when. GUI thread."""
        if self.suggestions_dismissed_at is None:
            self.suggestions_dismissed_at = _now()
        self.updated_at = _now()

    def touch(self) -> None:
        """Note a change made directly to a field (delivery, payment, notes). GUI thread."""
        self.updated_at = _now()

    def _record_offer(self, sku: str) -> None:
        if sku not in self.offered_skus and len(self.offered_skus) < MAX_OFFERED:
            self.offered_skus.append(sku)

    def _changed(self, price_lists: schema.PriceLists) -> None:
        value = self.list_value()
        for line in self.lines:
            rule = pricing.best_discount(
                price_lists.discount_rules, customer_type=self.customer_type, sku=line.sku,
                quantity=line.quantity, order_list_value=value)
            line.discount_percent = rule.percent if rule else pricing.ZERO
            line.discount_rule_id = rule.id if rule else ""
        self.updated_at = _now()

    # ----------------------------------------------------------------------- money
    def list_value(self) -> Decimal:
        """The order's value at list prices, before discounts and tax."""
        return pricing.list_value((line.quantity, line.unit_price) for line in self.lines)

    def totals(self, tax_percent: Decimal) -> pricing.Totals:
        """What the agent reads out: line totals, subtotal, tax and total."""
        return pricing.order_totals(self.lines, tax_percent)

    # ----------------------------------------------------------------------- sending
    def to_order_create(self) -> schema.OrderCreate:
        """The order as the CRM takes it; any thread.

        Check :func:`softphone.orders.rules.review` first: this raises ValueError
        (pydantic's ValidationError is one) when the draft is not yet a valid order.
        """
        if self.delivery_date is None:
            raise ValueError("the delivery date is missing")
        return schema.OrderCreate(
            customer_id=self.customer_id,
            lines=[schema.OrderLineIn(sku=line.sku, quantity=line.quantity,
                                      unit_price=line.unit_price,
                                      discount_percent=line.discount_percent)
                   for line in self.lines],
            delivery=schema.Delivery(
                method=self.delivery_method, date=self.delivery_date,
                window=self.delivery_window, contact_person=self.contact_person,
                address=self.delivery_address, shipping_details=self.shipping_details),
            payment_method=self.payment_method, documents=list(self.documents),
            notes=self.notes, offered_skus=list(self.offered_skus),
            suggestions_dismissed=self.suggestions_dismissed_at is not None,
            call_id=self.call_id, agent=self.agent)

    # ----------------------------------------------------------------------- saving
    def to_json(self) -> str:
        """The whole draft as JSON text, for autosave; any thread."""
        return json.dumps({
            "format": FORMAT_VERSION,
            "draft_id": self.draft_id,
            "customer_id": self.customer_id,
            "customer_type": self.customer_type.value,
            "lines": [{"sku": line.sku, "name": line.name, "unit": line.unit,
                       "quantity": line.quantity, "unit_price": str(line.unit_price),
                       "discount_percent": str(line.discount_percent),
                       "discount_rule_id": line.discount_rule_id,
                       "unavailable": line.unavailable} for line in self.lines],
            "delivery_method": self.delivery_method.value,
            "delivery_date": self.delivery_date.isoformat() if self.delivery_date else None,
            "delivery_window": self.delivery_window,
            "contact_person": self.contact_person,
            "delivery_address": self.delivery_address,
            "shipping_details": self.shipping_details,
            "payment_method": self.payment_method,
            "documents": self.documents,
            "notes": self.notes,
            "offered_skus": self.offered_skus,
            "suggestions_dismissed_at": _iso(self.suggestions_dismissed_at),
            "call_id": self.call_id,
            "agent": self.agent,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> OrderDraft:
        """A draft saved by this or an earlier version; any thread.

        Unknown fields are ignored and missing or unreadable ones take their defaults, so
        an agent gets back whatever survived; over-long text is cut to the CRM's bounds.
        Raises :class:`DraftFormatError` when ``text`` is not a draft at all. Call
        :meth:`reprice` afterwards: prices may have changed since it was saved.
        """
        if len(text.encode()) > MAX_DRAFT_BYTES:
            raise DraftFormatError("the saved draft is too large")
        try:
            data = json.loads(text)
        except ValueError as error:
            raise DraftFormatError(f"the saved draft is not JSON: {error}") from error
        if not isinstance(data, dict):
            raise DraftFormatError("the saved draft is not a JSON object")
        read = _Reader(data)
        customer_id = read.text("customer_id", 64)
        if not customer_id:
            raise DraftFormatError("the saved draft names no customer")
        created = read.time("created_at") or _now()
        return cls(
            customer_id=customer_id,
            customer_type=read.choice("customer_type", schema.CustomerType,
                                      schema.CustomerType.NEW),
            draft_id=read.text("draft_id", 64) or uuid.uuid4().hex,
            lines=read.lines(),
            delivery_method=read.choice("delivery_method", schema.DeliveryMethod,
                                        schema.DeliveryMethod.DELIVERY),
            delivery_date=read.day("delivery_date"),
            delivery_window=read.text("delivery_window", 32),
            contact_person=read.text("contact_person", _SHORT),
            delivery_address=read.text("delivery_address", _LONG),
            shipping_details=read.text("shipping_details", _LONG),
            payment_method=read.text("payment_method", _SHORT),
            documents=read.texts("documents", _SHORT, MAX_DOCUMENTS),
            notes=read.text("notes", _LONG),
            offered_skus=read.texts("offered_skus", 64, MAX_OFFERED),
            suggestions_dismissed_at=read.time("suggestions_dismissed_at"),
            call_id=read.text("call_id", 128),
            agent=read.text("agent", _SHORT),
            created_at=created,
            updated_at=read.time("updated_at") or created,
        )


def _bounded_quantity(quantity: int) -> int:
    # Out-of-range quantities are kept within what the CRM could ever hold (the rules
    # still report them) so that totals can never overflow the money columns' digits.
    return max(0, min(quantity, MAX_QUANTITY + 1))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class _Reader:
    """Reads fields of a saved draft leniently: wrong or missing values give defaults."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self._data = data

    def text(self, key: str, limit: int, data: Mapping[str, Any] | None = None) -> str:
        value = (self._data if data is None else data).get(key)
        return value[:limit] if isinstance(value, str) else ""

    def texts(self, key: str, limit: int, count: int) -> list[str]:
        value = self._data.get(key)
        if not isinstance(value, list):
            return []
        return [item[:limit] for item in value if isinstance(item, str)][:count]

    def choice(self, key: str, kind: Callable[[str], _Choice], default: _Choice) -> _Choice:
        try:
            return kind(self.text(key, 64))
        except ValueError:
            return default

    def day(self, key: str) -> date | None:
        try:
            return date.fromisoformat(self.text(key, 32))
        except ValueError:
            return None

    def time(self, key: str) -> datetime | None:
        try:
            value = datetime.fromisoformat(self.text(key, 64))
        except ValueError:
            return None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def lines(self) -> list[DraftLine]:
        value = self._data.get("lines")
        if not isinstance(value, list):
            return []
        lines: dict[str, DraftLine] = {}
        for item in value[:MAX_LINES]:
            line = self._line(item) if isinstance(item, dict) else None
            if line is not None:
                lines.setdefault(line.sku, line)  # one line per product, as the form keeps
        return list(lines.values())

    def _line(self, item: Mapping[str, Any]) -> DraftLine | None:
        sku = self.text("sku", 64, item)
        quantity = item.get("quantity")
        price = _money(item.get("unit_price"))
        if not sku or price is None or type(quantity) is not int:
            return None  # not enough left to be a line
        discount = _money(item.get("discount_percent"))
        return DraftLine(
            sku=sku, name=self.text("name", _SHORT, item), unit=self.text("unit", 32, item),
            quantity=_bounded_quantity(quantity), unit_price=price,
            discount_percent=discount if discount is not None and discount <= 100
            else pricing.ZERO,
            discount_rule_id=self.text("discount_rule_id", 64, item),
            unavailable=self.text("unavailable", _LONG, item))


def _money(value: object) -> Decimal | None:
    """A non-negative amount with at most 14 digits, from its text; else None."""
    if not isinstance(value, str) or len(value) > 20:
        return None
    try:
        amount = Decimal(value)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount >= pricing.TOTAL_LIMIT:
        return None
    return pricing.to_cents(amount)

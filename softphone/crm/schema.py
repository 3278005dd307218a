"""The CRM connector API, version 1: the JSON documents the app and a CRM server exchange.

One definition serves both sides: the reference server declares its endpoints with these
models (so its OpenAPI document describes them), and the app's client validates every
response with them, because what a server sends is untrusted input. Every string has a
length bound, every list a size bound, money is a decimal string, times are ISO 8601 with
a UTC offset. Imports no Qt.

Endpoints (all under ``/api/v1``, all need ``Authorization: Bearer TOKEN``):

=======  ===================================  =============================================
GET      /customers/lookup?phone=E164         ``CustomerList``: customers having that phone
GET      /customers/{id}                      ``Customer`` (404 when unknown or deleted)
GET      /customers/{id}/orders?limit=N       ``OrderList``: newest first, N <= 50
GET      /customers/{id}/calls?limit=N        ``CallLogList``: newest first, N <= 50
GET      /changes?cursor=C&limit=N            ``ChangePage``: customers changed after C
GET      /products                            ``ProductCatalogue``; ETag, If-None-Match
GET      /price-lists                         ``PriceLists``; ETag, If-None-Match
GET      /products/usual-for-type             ``UsualForType``: per customer type, the SKUs
                                              most ordered lately; ETag, If-None-Match
POST     /orders                              ``OrderCreate`` -> 201 ``Order``
POST     /call-logs                           ``CallLogCreate`` -> 201 ``CallLog``
POST     /customers/leads                     ``CustomerLead`` -> 201 ``Customer`` (type new,
                                              no manager yet)
GET      /health                              ``Health`` (no token needed)
=======  ===================================  =============================================

Writes carry an ``Idempotency-Key`` header (1-128 printable ASCII characters, space
included). The first
request with a key creates the record; a replay with the same body returns the same
status and document; the same key with a different body is a 409. Errors are an
``ErrorBody`` with status 400 (bad request), 401 (token missing or wrong), 404, 409, or
422 (``fields`` names each field that is wrong, as a dotted path such as ``lines.0.sku``).

The change feed: ``cursor`` is opaque text; start with no cursor (or ``"0"``) for the
whole set. Each page holds up to ``limit`` (1..1000) changes in the order they happened;
a deleted customer appears once as a tombstone (``deleted`` true, ``customer`` null).
Follow ``next_cursor`` while ``has_more`` is true; keep it for the next incremental sync.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

API_VERSION = 1
API_PREFIX = "/api/v1"
IDEMPOTENCY_HEADER = "Idempotency-Key"
MAX_PAGE_SIZE = 1000
MAX_RECENT = 50
MAX_USUAL_PER_TYPE = 50

ShortText = Annotated[str, StringConstraints(max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=4000)]
Identifier = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                              pattern=r"^[A-Za-z0-9._:-]+$")]
E164 = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=64,
                                       pattern=r"^[A-Za-z0-9._/-]+$")]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("a time needs a UTC offset")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]
Money = Annotated[Decimal, Field(max_digits=14, decimal_places=2, allow_inf_nan=False)]
# Amounts that cannot be below zero (prices, debts, totals); a balance can.
Amount = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2, allow_inf_nan=False)]
Quantity = Annotated[int, Field(ge=1, le=1_000_000)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2)]


class WireModel(BaseModel):
    """Strict: unknown fields, wrong types and oversized values are refused."""

    model_config = ConfigDict(extra="forbid", strict=False, frozen=True,
                              str_strip_whitespace=False)


class CustomerType(StrEnum):
    KEY = "key"
    REGIONAL = "regional"
    RETAIL = "retail"
    MARKETER = "marketer"
    NEW = "new"


class Manager(WireModel):
    name: ShortText
    extension: Annotated[str, StringConstraints(max_length=32)]


class Customer(WireModel):
    id: Identifier
    name: ShortText
    company: ShortText = ""
    phones: Annotated[list[E164], Field(max_length=20)] = []
    email: ShortText = ""
    type: CustomerType
    manager: Manager | None = None
    balance: Money = Decimal(0)
    overdue_debt: Amount = Decimal(0)
    overpayment: Amount = Decimal(0)
    credit_limit: Amount = Decimal(0)
    region: ShortText = ""
    payment_terms: ShortText = ""
    delivery_address: LongText = ""
    notes: LongText = ""
    last_order_at: AwareDatetime | None = None
    updated_at: AwareDatetime


class CustomerList(WireModel):
    customers: Annotated[list[Customer], Field(max_length=100)]


class CustomerLead(WireModel):
    """A first-time caller recorded by the agent, for the department head to assign."""

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    company: ShortText = ""
    phones: Annotated[list[E164], Field(max_length=20)] = []
    email: ShortText = ""
    region: ShortText = ""
    delivery_address: LongText = ""
    notes: LongText = ""
    call_id: Annotated[str, StringConstraints(max_length=128)] = ""
    agent: ShortText = ""


class Change(WireModel):
    """A customer as it is now, or a tombstone (``deleted``, no customer) when removed."""

    id: Identifier
    deleted: bool = False
    customer: Customer | None = None

    @model_validator(mode="after")
    def _tombstone_or_customer(self) -> Change:
        if self.deleted != (self.customer is None):
            raise ValueError("a change carries a customer unless it is a deletion")
        if self.customer is not None and self.customer.id != self.id:
            raise ValueError("the change's id differs from its customer's")
        return self


class ChangePage(WireModel):
    changes: Annotated[list[Change], Field(max_length=MAX_PAGE_SIZE)]
    next_cursor: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    has_more: bool


class Product(WireModel):
    sku: Sku
    name: ShortText
    unit: Annotated[str, StringConstraints(max_length=32)] = "pcs"
    stock: Annotated[int, Field(ge=0)] = 0
    is_new: bool = False
    is_special: bool = False
    # Price per price-list column id.
    prices: Annotated[dict[Identifier, Amount], Field(max_length=32)] = {}
    updated_at: AwareDatetime


class ProductCatalogue(WireModel):
    products: Annotated[list[Product], Field(max_length=200_000)]


class PriceColumn(WireModel):
    id: Identifier
    name: ShortText


class DiscountRule(WireModel):
    """A percentage off a line: applies when every condition given matches."""

    id: Identifier
    description: ShortText = ""
    customer_type: CustomerType | None = None
    sku: Sku | None = None
    min_quantity: Annotated[int, Field(ge=0)] = 0
    min_order_total: Amount | None = None
    percent: Percent


class PriceLists(WireModel):
    columns: Annotated[list[PriceColumn], Field(max_length=32)]
    # Which column's prices each customer type pays.
    column_for_type: dict[CustomerType, Identifier]
    discount_rules: Annotated[list[DiscountRule], Field(max_length=1000)] = []
    tax_percent: Percent = Decimal(0)


class UsualForType(WireModel):
    """Per customer type, the SKUs its customers ordered most over the last
    ``window_days`` days, most ordered first (domain step 5: what to remind them of)."""

    window_days: Annotated[int, Field(ge=1, le=3660)]
    skus: dict[CustomerType,
               Annotated[list[Sku], Field(max_length=MAX_USUAL_PER_TYPE)]]


class OrderLineIn(WireModel):
    sku: Sku
    quantity: Quantity
    unit_price: Amount
    discount_percent: Percent = Decimal(0)


class DeliveryMethod(StrEnum):
    DELIVERY = "delivery"
    PICKUP = "pickup"
    SHIPPING = "shipping"


class Delivery(WireModel):
    method: DeliveryMethod
    date: date
    window: Annotated[str, StringConstraints(max_length=32)] = ""
    contact_person: ShortText = ""
    address: LongText = ""
    shipping_details: LongText = ""


class OrderCreate(WireModel):
    customer_id: Identifier
    lines: Annotated[list[OrderLineIn], Field(min_length=1, max_length=500)]
    delivery: Delivery
    payment_method: ShortText
    documents: Annotated[list[ShortText], Field(max_length=20)] = []
    notes: LongText = ""
    # What the agent offered beyond the order, and whether the prompt was dismissed.
    offered_skus: Annotated[list[Sku], Field(max_length=50)] = []
    suggestions_dismissed: bool = False
    call_id: Annotated[str, StringConstraints(max_length=128)] = ""
    agent: ShortText = ""


class OrderStatus(StrEnum):
    RECEIVED = "received"
    CONFIRMED = "confirmed"
    SHIPPED = "shipped"
    CANCELLED = "cancelled"


class OrderLine(OrderLineIn):
    line_total: Amount


class Order(OrderCreate):
    """An order as the CRM holds it: what was sent, with its number, state and totals."""

    id: Identifier
    number: ShortText
    status: OrderStatus
    created_at: AwareDatetime
    lines: Annotated[list[OrderLine], Field(max_length=500)]  # type: ignore[assignment]
    subtotal: Amount
    tax: Amount
    total: Amount


class OrderList(WireModel):
    orders: Annotated[list[Order], Field(max_length=MAX_RECENT)]


class CallDirection(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class CallLogCreate(WireModel):
    customer_id: Identifier | None = None
    phone: Annotated[str, StringConstraints(max_length=32)] = ""
    direction: CallDirection
    started_at: AwareDatetime
    duration_seconds: Annotated[int, Field(ge=0, le=86_400)]
    disposition: ShortText
    notes: LongText = ""
    callback_at: AwareDatetime | None = None
    call_id: Annotated[str, StringConstraints(max_length=128)] = ""
    agent: ShortText = ""


class CallLog(CallLogCreate):
    id: Identifier
    created_at: AwareDatetime


class CallLogList(WireModel):
    calls: Annotated[list[CallLog], Field(max_length=MAX_RECENT)]


class Health(WireModel):
    status: ShortText
    api_version: int


class ErrorBody(WireModel):
    code: ShortText
    message: LongText
    # Dotted field path -> what is wrong with it (422 only).
    fields: Annotated[dict[Annotated[str, StringConstraints(max_length=200)], LongText],
                      Field(max_length=200)] = {}

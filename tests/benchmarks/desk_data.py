"""Made-up customer desk data for the desk benchmark: customers, products, price lists.

Customers are numbered: customer ``n`` is ``c{n}`` with the phone ``+4072{n:07d}`` (a call
from ``072{n:07d}`` in the national form finds it with ``calls.default_region`` RO).
Every field the card shows is filled: company, type, manager and extension, balance,
credit limit, terms, address, notes, last order; one customer in 20 has overdue debt and
one in 50 an overpayment, as the order form must then show its block. Recent orders and
calls are made for the customers a run calls, as if the CRM had sent them on earlier
calls. Built with ``model_construct`` (the values are valid by construction) so that a
million customers are written in about a minute.

Imports no Qt. Everything runs on the caller's thread except where the cache's worker
does the writing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from softphone.cache.store import CacheStore
from softphone.crm.schema import (
    CallDirection,
    CallLog,
    Change,
    Customer,
    CustomerType,
    Delivery,
    DeliveryMethod,
    DiscountRule,
    Manager,
    Order,
    OrderLine,
    OrderStatus,
    PriceColumn,
    PriceLists,
    Product,
)

NOW = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
PAGE = 5000  # customers per transaction, as the sync writes a page
RECENT = 5  # orders and calls kept per called customer

_FIRST = ["Ioana", "Andrei", "Maria", "Mihai", "Elena", "Radu", "Ana", "Cristian", "Irina",
          "Ștefan", "Oana", "Bogdan", "Raluca", "Vlad", "Daria", "Tudor", "Alexandra", "Sorin"]
_LAST = ["Popescu", "Ionescu", "Popa", "Dumitrescu", "Stan", "Stoica", "Gheorghe", "Rusu",
         "Munteanu", "Matei", "Constantin", "Șerban", "Marin", "Lungu", "Dinu", "Tănase"]
_TRADE = ["Trading", "Distribuție", "Market", "Comerț", "Import-Export", "Horeca", "Logistic"]
_CITIES = ["Cluj-Napoca", "București", "Iași", "Timișoara", "Brașov", "Constanța", "Oradea"]
_MANAGERS = [Manager.model_construct(name=f"{_FIRST[i]} {_LAST[-1 - i]}", extension=f"{201 + i}")
             for i in range(12)]
_TYPES = [CustomerType.RETAIL] * 6 + [CustomerType.KEY, CustomerType.REGIONAL,
                                      CustomerType.MARKETER, CustomerType.NEW]
_WORDS = ["Cafea", "boabe", "măcinată", "Ceai", "negru", "verde", "Zahăr", "brun", "Lapte",
          "UHT", "Biscuiți", "unt", "Ciocolată", "amăruie", "Apă", "minerală", "Suc", "mere",
          "Miere", "salcâm", "Făină", "albă", "Orez", "bob", "lung", "Ulei", "floarea-soarelui"]
_UNITS = ["pcs", "kg", "box", "pack"]


def phone_of(n: int) -> str:
    """Customer ``n``'s number in E.164."""
    return f"+4072{n:07d}"


def national_number(n: int) -> str:
    """Customer ``n``'s number as a PBX often sends it (national form)."""
    return f"072{n:07d}"


def customer(n: int) -> Customer:
    """Customer ``n``, every field the card shows filled in."""
    kind = _TYPES[n % len(_TYPES)]
    first, last = _FIRST[n % len(_FIRST)], _LAST[(n // len(_FIRST)) % len(_LAST)]
    city = _CITIES[n % len(_CITIES)]
    debt = Decimal(150 + n % 900) if n % 20 == 7 else Decimal(0)
    overpaid = Decimal(40 + n % 60) if n % 50 == 11 else Decimal(0)
    return Customer.model_construct(
        id=f"c{n}", name=f"{first} {last}", company=f"{last} {_TRADE[n % len(_TRADE)]} SRL",
        phones=[phone_of(n)], email=f"c{n}@example.com", type=kind,
        manager=_MANAGERS[n % len(_MANAGERS)],
        balance=Decimal(n % 5000) / 4 - debt - overpaid, overdue_debt=debt,
        overpayment=overpaid, credit_limit=Decimal(1000 * (1 + n % 10)),
        region=("north", "south", "east", "west")[n % 4],
        payment_terms=("30 days", "cash on delivery", "14 days")[n % 3],
        delivery_address=f"Str. Lungă {1 + n % 300}, {city}",
        notes=("Prefers morning deliveries; call the warehouse first." if n % 3 == 0 else ""),
        last_order_at=NOW - timedelta(days=n % 90), updated_at=NOW)


def fill_customers(cache: CacheStore, count: int,
                   log: Callable[[str], None] | None = None) -> None:
    """Write customers 0..count-1 into ``cache`` in pages, as a full sync would, and
    mark the sync complete (so the card shows the cache's age). Caller's thread."""
    for start in range(0, count, PAGE):
        changes = [Change.model_construct(id=f"c{n}", deleted=False, customer=customer(n))
                   for n in range(start, min(count, start + PAGE))]
        cache.apply_page(changes, str(start + PAGE), False, frozenset(), time.time()).result()
        if log is not None and start % 100_000 == 0 and start:
            log(f"  {start:,} customers written")
    cache.mark_success(time.time()).result()


def products(count: int) -> list[Product]:
    """``count`` products with two to four words in each name; one in 97 on special,
    one in 89 new; retail and wholesale prices."""
    made = []
    for n in range(count):
        words = [_WORDS[(n * k + k) % len(_WORDS)] for k in range(1, 2 + n % 3 + 1)]
        retail = Decimal(100 + (n * 37) % 9900) / 100
        made.append(Product.model_construct(
            sku=f"SKU-{n:05d}", name=" ".join(words) + f" {1 + n % 12}x{50 * (1 + n % 20)}g",
            unit=_UNITS[n % len(_UNITS)], stock=n % 250, is_new=n % 89 == 5,
            is_special=n % 97 == 3,
            prices={"retail": retail, "wholesale": (retail * Decimal("0.85")).quantize(
                Decimal("0.01"))},
            updated_at=NOW))
    return made


def price_lists() -> PriceLists:
    """Two price columns, a few discount rules and 19 % tax."""
    return PriceLists.model_construct(
        columns=[PriceColumn.model_construct(id="retail", name="Retail"),
                 PriceColumn.model_construct(id="wholesale", name="Wholesale")],
        column_for_type={CustomerType.RETAIL: "retail", CustomerType.NEW: "retail",
                         CustomerType.MARKETER: "retail", CustomerType.KEY: "wholesale",
                         CustomerType.REGIONAL: "wholesale"},
        discount_rules=[
            DiscountRule.model_construct(id="key5", description="Key accounts",
                                         customer_type=CustomerType.KEY, sku=None,
                                         min_quantity=0, min_order_total=None,
                                         percent=Decimal(5)),
            DiscountRule.model_construct(id="bulk", description="Ten or more",
                                         customer_type=None, sku=None, min_quantity=10,
                                         min_order_total=None, percent=Decimal(3)),
        ],
        tax_percent=Decimal(19))


def recent_records(n: int, catalogue: Sequence[Product]) -> tuple[list[Order], list[CallLog]]:
    """Customer ``n``'s last orders and calls, newest first, as the CRM sends them."""
    orders: list[Order] = []
    calls: list[CallLog] = []
    for k in range(RECENT):
        when = NOW - timedelta(days=3 + 11 * k + n % 5)
        lines = []
        for j in range(1 + (n + k) % 4):
            product = catalogue[(n * 7 + k * 13 + j * 101) % len(catalogue)]
            price = product.prices["retail"]
            lines.append(OrderLine.model_construct(sku=product.sku, quantity=1 + j,
                                                   unit_price=price, discount_percent=Decimal(0),
                                                   line_total=price * (1 + j)))
        subtotal = sum((line.line_total for line in lines), Decimal(0))
        tax = (subtotal * Decimal("0.19")).quantize(Decimal("0.01"))
        orders.append(Order.model_construct(
            id=f"o{n}-{k}", number=f"SO-{n:07d}-{k}", status=OrderStatus.SHIPPED,
            customer_id=f"c{n}", lines=lines,
            delivery=Delivery.model_construct(method=DeliveryMethod.DELIVERY, date=when.date(),
                                              window="", contact_person="", address="",
                                              shipping_details=""),
            payment_method="invoice", documents=[], notes="", offered_skus=[],
            suggestions_dismissed=False, call_id="", agent="", created_at=when,
            subtotal=subtotal, tax=tax, total=subtotal + tax))
        calls.append(CallLog.model_construct(
            id=f"l{n}-{k}", customer_id=f"c{n}", phone=phone_of(n),
            direction=CallDirection.INBOUND if k % 2 == 0 else CallDirection.OUTBOUND,
            started_at=when, duration_seconds=60 + 17 * k,
            disposition="Order taken" if k % 2 == 0 else "Call back", notes="",
            callback_at=None, call_id="", agent="1001", created_at=when))
    return orders, calls

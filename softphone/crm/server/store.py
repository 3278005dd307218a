"""What the API reads and writes, one function per question, each in the caller's session.

Called on the server's request worker threads (and by the import and token commands on
their main thread). Imports no Qt.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from softphone.crm import schema
from softphone.crm.server import records
from softphone.crm.server.errors import invalid
from softphone.crm.server.models import (
    ApiToken,
    CallLogRow,
    CatalogueState,
    ChangeCounter,
    ColumnForTypeRow,
    CustomerRow,
    DiscountRuleRow,
    OrderLineRow,
    OrderRow,
    PhoneRow,
    PriceColumnRow,
    PriceRow,
    ProductRow,
)
from softphone.orders import pricing

# Money is at most 14 digits with 2 decimals (schema.Money).
_NOTES_LIMIT = 4000  # schema.LongText


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


# ------------------------------------------------------------------------------- tokens
def create_token(session: Session, name: str, now: datetime) -> str:
    """A new random token for ``name``; only its sha256 is stored."""
    token = "crm_" + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, token_sha256=sha256_hex(token), created_at=now))
    return token


def token_id(session: Session, token: str) -> int | None:
    """The id of the stored token equal to ``token``, or None.

    The database compares digests, not the token: how long a comparison takes tells an
    attacker about a sha256 they cannot steer, not about the token.
    """
    digest = sha256_hex(token)
    return session.scalar(select(ApiToken.id).where(ApiToken.token_sha256 == digest))


# ---------------------------------------------------------------------------- customers
def customers_with_phone(session: Session, e164: str) -> list[schema.Customer]:
    having_phone = select(PhoneRow.customer_id).where(PhoneRow.e164 == e164)
    rows = session.scalars(
        select(CustomerRow)
        .where(CustomerRow.id.in_(having_phone), CustomerRow.deleted.is_(False))
        .order_by(CustomerRow.name, CustomerRow.id)
        .limit(100)
    )
    return [records.customer_model(row) for row in rows]


def later(first: datetime | None, second: datetime | None) -> datetime | None:
    """The later of two times, either of which may be unknown."""
    if first is None or second is None:
        return first or second
    return max(first, second)


def lead_notes(lead: schema.CustomerLead, now: datetime) -> str:
    """The lead's notes after a line saying who recorded it, when, and on which call."""
    who = lead.agent or "an agent"
    call = f" during call {lead.call_id}" if lead.call_id else ""
    header = f"New caller recorded by {who}{call} on {now:%Y-%m-%d %H:%M} UTC."
    text = f"{header}\n\n{lead.notes}" if lead.notes else header
    return text[:_NOTES_LIMIT]


def create_lead(session: Session, lead: schema.CustomerLead, now: datetime) -> schema.Customer:
    """A new customer of type "new" with no manager yet, for the department head to assign.

    It enters the change feed like any other change, so every desk's cache learns of it.
    """
    customer = schema.Customer(
        id=f"lead-{secrets.token_hex(8)}", name=lead.name, company=lead.company,
        phones=list(dict.fromkeys(lead.phones)), email=lead.email,
        type=schema.CustomerType.NEW, region=lead.region,
        delivery_address=lead.delivery_address, notes=lead_notes(lead, now), updated_at=now)
    columns = records.customer_columns(customer)
    row = CustomerRow(
        id=customer.id, **columns, change_seq=reserve_change_seqs(session, 1),
        content_hash=records.content_hash(columns, customer.phones),
        phones=[PhoneRow(position=index, e164=phone)
                for index, phone in enumerate(customer.phones)])
    session.add(row)
    session.flush()
    session.expire_all()  # answer with the stored values, exactly as a later GET shows them
    return records.customer_model(row)


def live_customer(session: Session, customer_id: str) -> CustomerRow | None:
    """The customer with ``customer_id``, or None when unknown or deleted."""
    row = session.get(CustomerRow, customer_id)
    return None if row is None or row.deleted else row


def recent_orders(session: Session, customer_id: str, limit: int) -> list[schema.Order]:
    rows = session.scalars(
        select(OrderRow)
        .where(OrderRow.customer_id == customer_id)
        .order_by(OrderRow.created_at.desc(), OrderRow.id.desc())
        .limit(limit)
    )
    return [records.order_model(row) for row in rows]


def recent_calls(session: Session, customer_id: str, limit: int) -> list[schema.CallLog]:
    rows = session.scalars(
        select(CallLogRow)
        .where(CallLogRow.customer_id == customer_id)
        .order_by(CallLogRow.started_at.desc(), CallLogRow.id.desc())
        .limit(limit)
    )
    return [records.call_log_model(row) for row in rows]


# ---------------------------------------------------------------------------- change feed
def reserve_change_seqs(session: Session, count: int) -> int:
    """Take ``count`` consecutive values of the change sequence; returns the first.

    A reader must never see value N+1 committed while N is still to come: its cursor would
    pass N and never return. So writers that touch the sequence are serialised: this
    UPDATE locks the counter row until the transaction ends (on PostgreSQL the next writer
    waits here, then reads the committed value), and SQLite lets one writer in at a time
    (BEGIN IMMEDIATE). Values therefore become visible in the order they were handed out.
    """
    end = session.execute(
        update(ChangeCounter)
        .where(ChangeCounter.id == 1)
        .values(value=ChangeCounter.value + count)
        .returning(ChangeCounter.value)
    ).scalar_one()
    return end - count + 1


def lock_change_feed(session: Session) -> None:
    """Hold the change counter's row lock until the transaction ends (see above).

    An import takes it first, so that what it reads (which customers exist, their data)
    cannot be changed by another import before it commits.
    """
    session.execute(select(ChangeCounter.value).where(ChangeCounter.id == 1).with_for_update())


def changes_after(session: Session, cursor: int, limit: int) -> schema.ChangePage:
    """Up to ``limit`` customers changed after ``cursor``, in the order they changed."""
    rows = list(session.scalars(
        select(CustomerRow)
        .where(CustomerRow.change_seq > cursor)
        .order_by(CustomerRow.change_seq)
        .limit(limit + 1)
    ))
    page = rows[:limit]
    next_cursor = page[-1].change_seq if page else cursor
    return schema.ChangePage(changes=[records.change_model(row) for row in page],
                             next_cursor=str(next_cursor), has_more=len(rows) > limit)


# ------------------------------------------------------------------------------ catalogue
def catalogue_state(session: Session) -> CatalogueState:
    return session.get_one(CatalogueState, 1)


def product_catalogue(session: Session) -> schema.ProductCatalogue:
    """Every product with its prices. Plain rows, not ORM objects: ten times faster here."""
    prices: defaultdict[str, dict[str, Decimal]] = defaultdict(dict)
    for sku, column_id, price in session.execute(
            select(PriceRow.sku, PriceRow.column_id, PriceRow.price)):
        prices[sku][column_id] = price
    rows = session.execute(
        select(ProductRow.sku, ProductRow.name, ProductRow.unit, ProductRow.stock,
               ProductRow.is_new, ProductRow.is_special, ProductRow.updated_at)
        .order_by(ProductRow.sku))
    return schema.ProductCatalogue(products=[
        schema.Product(sku=sku, name=name, unit=unit, stock=stock, is_new=is_new,
                       is_special=is_special, prices=dict(sorted(prices[sku].items())),
                       updated_at=updated_at)
        for sku, name, unit, stock, is_new, is_special, updated_at in rows
    ])


def price_lists(session: Session) -> schema.PriceLists:
    columns = session.scalars(select(PriceColumnRow).order_by(PriceColumnRow.position))
    for_type = session.scalars(select(ColumnForTypeRow).order_by(ColumnForTypeRow.customer_type))
    rules = session.scalars(select(DiscountRuleRow).order_by(DiscountRuleRow.position))
    return schema.PriceLists(
        columns=[schema.PriceColumn(id=column.id, name=column.name) for column in columns],
        column_for_type={schema.CustomerType(row.customer_type): row.column_id
                         for row in for_type},
        discount_rules=[
            schema.DiscountRule(
                id=rule.id,
                description=rule.description,
                customer_type=(schema.CustomerType(rule.customer_type)
                               if rule.customer_type else None),
                sku=rule.sku,
                min_quantity=rule.min_quantity,
                min_order_total=rule.min_order_total,
                percent=rule.percent,
            )
            for rule in rules
        ],
        tax_percent=catalogue_state(session).tax_percent,
    )


# --------------------------------------------------------------------------------- orders
def _check_references(session: Session, order: schema.OrderCreate) -> None:
    """422 naming ``customer_id`` and each ``lines.N.sku`` that does not exist."""
    wrong: dict[str, str] = {}
    if live_customer(session, order.customer_id) is None:
        wrong["customer_id"] = f"no customer with id {order.customer_id!r}"
    skus = {line.sku for line in order.lines}
    known = set(session.scalars(select(ProductRow.sku).where(ProductRow.sku.in_(skus))))
    for index, line in enumerate(order.lines):
        if line.sku not in known:
            wrong[f"lines.{index}.sku"] = f"no product with sku {line.sku!r}"
    if wrong:
        raise invalid(wrong)


def create_order(session: Session, order: schema.OrderCreate, now: datetime) -> schema.Order:
    """Store ``order`` with totals computed here; 422 for unknown customer or products."""
    _check_references(session, order)
    tax_percent = catalogue_state(session).tax_percent
    # The app shows its agents totals from the same function: the two never disagree.
    totals = pricing.order_totals(order.lines, tax_percent)
    lines = [
        OrderLineRow(position=index, sku=line.sku, quantity=line.quantity,
                     unit_price=line.unit_price, discount_percent=line.discount_percent,
                     line_total=amount)
        for index, (line, amount) in enumerate(zip(order.lines, totals.line_totals,
                                                   strict=True))
    ]
    if totals.total >= pricing.TOTAL_LIMIT:
        raise invalid({"lines": "the order total is too large"})
    delivery = order.delivery
    row = OrderRow(
        customer_id=order.customer_id, status=schema.OrderStatus.RECEIVED.value,
        created_at=now, subtotal=totals.subtotal, tax_percent=tax_percent, tax=totals.tax,
        total=totals.total, delivery_method=delivery.method.value,
        delivery_date=delivery.date, delivery_window=delivery.window,
        contact_person=delivery.contact_person, delivery_address=delivery.address,
        shipping_details=delivery.shipping_details, payment_method=order.payment_method,
        documents=list(order.documents), notes=order.notes,
        offered_skus=list(order.offered_skus),
        suggestions_dismissed=order.suggestions_dismissed, call_id=order.call_id,
        agent=order.agent, lines=lines,
    )
    session.add(row)
    session.flush()  # assigns the id the order number is made of
    session.expire_all()  # answer with the stored values, exactly as a later GET shows them
    return records.order_model(row)


def place_order(session: Session, order: schema.OrderCreate, now: datetime) -> schema.Order:
    """``create_order``, and the customer's ``last_order_at`` moved to it.

    That is a change of the customer: it takes a new place in the change feed, so every
    cache learns the customer is no longer dormant.
    """
    # The feed's lock first: on PostgreSQL an order's foreign key share-locks the customer
    # row, so two orders for one customer would deadlock on updating it afterwards.
    change_seq = reserve_change_seqs(session, 1)
    created = create_order(session, order, now)
    customer = session.get_one(CustomerRow, order.customer_id)
    customer.last_order_at = later(customer.last_order_at, created.created_at)
    customer.updated_at = now
    customer.change_seq = change_seq
    return created


def create_call_log(session: Session, call: schema.CallLogCreate,
                    now: datetime) -> schema.CallLog:
    """Store ``call``; 422 when it names a customer that does not exist."""
    if call.customer_id is not None and live_customer(session, call.customer_id) is None:
        raise invalid({"customer_id": f"no customer with id {call.customer_id!r}"})
    row = CallLogRow(
        customer_id=call.customer_id, phone=call.phone, direction=call.direction.value,
        started_at=call.started_at, duration_seconds=call.duration_seconds,
        disposition=call.disposition, notes=call.notes, callback_at=call.callback_at,
        call_id=call.call_id, agent=call.agent, created_at=now,
    )
    session.add(row)
    session.flush()
    session.expire_all()
    return records.call_log_model(row)

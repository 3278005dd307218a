"""Between the wire models (``softphone.crm.schema``) and the table rows. Any thread.

Imports no Qt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from softphone.crm import schema
from softphone.crm.server.models import (
    CallLogRow,
    CustomerRow,
    OrderRow,
)
from softphone.orders.pricing import CENT

ZERO = Decimal(0)
# What a deleted customer's row keeps: nothing but its id and place in the change feed.
TOMBSTONE: Mapping[str, Any] = {
    "name": "", "company": "", "email": "", "type": "", "manager_name": None,
    "manager_extension": "", "balance": ZERO, "overdue_debt": ZERO, "overpayment": ZERO,
    "credit_limit": ZERO, "region": "", "payment_terms": "", "delivery_address": "",
    "notes": "", "last_order_at": None, "deleted": True, "content_hash": "",
}
# Not part of content_hash: the server moves it on each order, and compares it apart.
_UNHASHED = ("updated_at", "last_order_at")


def customer_columns(customer: schema.Customer) -> dict[str, Any]:
    """The ``customers`` values for ``customer`` (not its id, change_seq or hash)."""
    manager = customer.manager
    return {
        "name": customer.name,
        "company": customer.company,
        "email": customer.email,
        "type": customer.type.value,
        "manager_name": manager.name if manager else None,
        "manager_extension": manager.extension if manager else "",
        "balance": customer.balance,
        "overdue_debt": customer.overdue_debt,
        "overpayment": customer.overpayment,
        "credit_limit": customer.credit_limit,
        "region": customer.region,
        "payment_terms": customer.payment_terms,
        "delivery_address": customer.delivery_address,
        "notes": customer.notes,
        "last_order_at": customer.last_order_at,
        "updated_at": customer.updated_at,
        "deleted": False,
    }


def _canonical(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value.quantize(CENT))
    raise TypeError(f"cannot hash {type(value).__name__}")


def content_hash(columns: Mapping[str, Any], phones: Sequence[str]) -> str:
    """sha256 of a customer's data except its times: equal data, equal hash."""
    data = {key: value for key, value in columns.items() if key not in _UNHASHED}
    data["phones"] = list(phones)
    text = json.dumps(data, sort_keys=True, default=_canonical)
    return hashlib.sha256(text.encode()).hexdigest()


def customer_model(row: CustomerRow) -> schema.Customer:
    manager = None
    if row.manager_name is not None:
        manager = schema.Manager(name=row.manager_name, extension=row.manager_extension)
    return schema.Customer(
        id=row.id,
        name=row.name,
        company=row.company,
        phones=[phone.e164 for phone in row.phones],
        email=row.email,
        type=schema.CustomerType(row.type),
        manager=manager,
        balance=row.balance,
        overdue_debt=row.overdue_debt,
        overpayment=row.overpayment,
        credit_limit=row.credit_limit,
        region=row.region,
        payment_terms=row.payment_terms,
        delivery_address=row.delivery_address,
        notes=row.notes,
        last_order_at=row.last_order_at,
        updated_at=row.updated_at,
    )


def change_model(row: CustomerRow) -> schema.Change:
    if row.deleted:
        return schema.Change(id=row.id, deleted=True)
    return schema.Change(id=row.id, customer=customer_model(row))


def order_number(order_id: int) -> str:
    return f"SO-{order_id:06d}"


def order_model(row: OrderRow) -> schema.Order:
    return schema.Order(
        id=str(row.id),
        number=order_number(row.id),
        customer_id=row.customer_id,
        status=schema.OrderStatus(row.status),
        created_at=row.created_at,
        lines=[
            schema.OrderLine(sku=line.sku, quantity=line.quantity, unit_price=line.unit_price,
                             discount_percent=line.discount_percent, line_total=line.line_total)
            for line in row.lines
        ],
        subtotal=row.subtotal,
        tax=row.tax,
        total=row.total,
        delivery=schema.Delivery(
            method=schema.DeliveryMethod(row.delivery_method),
            date=row.delivery_date,
            window=row.delivery_window,
            contact_person=row.contact_person,
            address=row.delivery_address,
            shipping_details=row.shipping_details,
        ),
        payment_method=row.payment_method,
        documents=list(row.documents),
        notes=row.notes,
        offered_skus=list(row.offered_skus),
        suggestions_dismissed=row.suggestions_dismissed,
        call_id=row.call_id,
        agent=row.agent,
    )


def call_log_model(row: CallLogRow) -> schema.CallLog:
    return schema.CallLog(
        id=str(row.id),
        customer_id=row.customer_id,
        phone=row.phone,
        direction=schema.CallDirection(row.direction),
        started_at=row.started_at,
        duration_seconds=row.duration_seconds,
        disposition=row.disposition,
        notes=row.notes,
        callback_at=row.callback_at,
        call_id=row.call_id,
        agent=row.agent,
        created_at=row.created_at,
    )

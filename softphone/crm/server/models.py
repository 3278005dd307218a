"""The CRM server's tables. The migrations in ``migrations/versions`` create exactly these.

Money and percentages are :class:`Hundredths`, times :class:`UtcDateTime`. Imports no Qt.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from softphone.crm.server.database import Base, Hundredths, UtcDateTime


class ChangeCounter(Base):
    """One row: the last value handed out from the global customer change sequence."""

    __tablename__ = "change_counter"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class CatalogueState(Base):
    """One row: versions of the products and price lists (their ETags) and the tax rate."""

    __tablename__ = "catalogue_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random per database, so a recreated database never repeats an old ETag.
    instance: Mapped[str] = mapped_column(String(32))
    products_version: Mapped[int] = mapped_column(BigInteger)
    prices_version: Mapped[int] = mapped_column(BigInteger)
    tax_percent: Mapped[Decimal] = mapped_column(Hundredths)


class CustomerRow(Base):
    """A customer, or a tombstone (``deleted``, data cleared) once deleted."""

    __tablename__ = "customers"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    manager_name: Mapped[str | None] = mapped_column(String(200))
    manager_extension: Mapped[str] = mapped_column(String(32))
    balance: Mapped[Decimal] = mapped_column(Hundredths)
    overdue_debt: Mapped[Decimal] = mapped_column(Hundredths)
    overpayment: Mapped[Decimal] = mapped_column(Hundredths)
    credit_limit: Mapped[Decimal] = mapped_column(Hundredths)
    region: Mapped[str] = mapped_column(String(200))
    payment_terms: Mapped[str] = mapped_column(String(200))
    delivery_address: Mapped[str] = mapped_column(Text)
    notes: Mapped[str] = mapped_column(Text)
    # The customer's newest order: set by each order created here, or by an import.
    last_order_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    deleted: Mapped[bool] = mapped_column(Boolean)
    # Position in the change feed: a new value from ChangeCounter on every change.
    change_seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    # sha256 of the data without updated_at and last_order_at: an import rewrites only
    # what really changed.
    content_hash: Mapped[str] = mapped_column(String(64))
    phones: Mapped[list[PhoneRow]] = relationship(
        order_by="PhoneRow.position", lazy="selectin", cascade="all, delete-orphan")


class PhoneRow(Base):
    __tablename__ = "customer_phones"
    customer_id: Mapped[str] = mapped_column(
        ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    e164: Mapped[str] = mapped_column(String(16), index=True)


class ProductRow(Base):
    __tablename__ = "products"
    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(32))
    stock: Mapped[int] = mapped_column(BigInteger)
    is_new: Mapped[bool] = mapped_column(Boolean)
    is_special: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class PriceRow(Base):
    """A product's price in one price-list column."""

    __tablename__ = "product_prices"
    sku: Mapped[str] = mapped_column(
        ForeignKey("products.sku", ondelete="CASCADE"), primary_key=True)
    column_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    price: Mapped[Decimal] = mapped_column(Hundredths)


class PriceColumnRow(Base):
    __tablename__ = "price_columns"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))


class ColumnForTypeRow(Base):
    """Which price-list column a customer type pays."""

    __tablename__ = "column_for_type"
    customer_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    column_id: Mapped[str] = mapped_column(ForeignKey("price_columns.id"))


class DiscountRuleRow(Base):
    __tablename__ = "discount_rules"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    customer_type: Mapped[str | None] = mapped_column(String(16))
    sku: Mapped[str | None] = mapped_column(String(64))
    min_quantity: Mapped[int] = mapped_column(Integer)
    min_order_total: Mapped[Decimal | None] = mapped_column(Hundredths)
    percent: Mapped[Decimal] = mapped_column(Hundredths)


class OrderRow(Base):
    """An order; its public number is ``SO-`` and the zero-padded id."""

    __tablename__ = "orders"
    __table_args__ = (Index("ix_orders_customer_created", "customer_id", "created_at"),
                      Index("ix_orders_created_at", "created_at"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    subtotal: Mapped[Decimal] = mapped_column(Hundredths)
    tax_percent: Mapped[Decimal] = mapped_column(Hundredths)
    tax: Mapped[Decimal] = mapped_column(Hundredths)
    total: Mapped[Decimal] = mapped_column(Hundredths)
    delivery_method: Mapped[str] = mapped_column(String(16))
    delivery_date: Mapped[date] = mapped_column(Date)
    delivery_window: Mapped[str] = mapped_column(String(32))
    contact_person: Mapped[str] = mapped_column(String(200))
    delivery_address: Mapped[str] = mapped_column(Text)
    shipping_details: Mapped[str] = mapped_column(Text)
    payment_method: Mapped[str] = mapped_column(String(200))
    documents: Mapped[list[Any]] = mapped_column(JSON)
    notes: Mapped[str] = mapped_column(Text)
    offered_skus: Mapped[list[Any]] = mapped_column(JSON)
    suggestions_dismissed: Mapped[bool] = mapped_column(Boolean)
    call_id: Mapped[str] = mapped_column(String(128))
    agent: Mapped[str] = mapped_column(String(200))
    lines: Mapped[list[OrderLineRow]] = relationship(
        order_by="OrderLineRow.position", lazy="selectin", cascade="all, delete-orphan")


class OrderLineRow(Base):
    __tablename__ = "order_lines"
    # The SKUs of an order read from the index alone (the usual products per type).
    __table_args__ = (Index("ix_order_lines_order_sku", "order_id", "sku"),)
    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    # No foreign key: an order keeps its lines as sold, whatever happens to the catalogue.
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price: Mapped[Decimal] = mapped_column(Hundredths)
    discount_percent: Mapped[Decimal] = mapped_column(Hundredths)
    line_total: Mapped[Decimal] = mapped_column(Hundredths)


class CallLogRow(Base):
    __tablename__ = "call_logs"
    __table_args__ = (Index("ix_call_logs_customer_started", "customer_id", "started_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    phone: Mapped[str] = mapped_column(String(32))
    direction: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    disposition: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str] = mapped_column(Text)
    callback_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    call_id: Mapped[str] = mapped_column(String(128))
    agent: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApiToken(Base):
    """A bearer token; only its sha256 is kept."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class IdempotencyRecord(Base):
    """The answer to a write, replayed when the same token sends the same key again."""

    __tablename__ = "idempotency_records"
    __table_args__ = (UniqueConstraint("token_id", "key", name="uq_idempotency_token_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_id: Mapped[int] = mapped_column(ForeignKey("api_tokens.id"))
    key: Mapped[str] = mapped_column(String(128))
    endpoint: Mapped[str] = mapped_column(String(64))
    request_sha256: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    # The JSON text exactly as first sent, so a replay is byte for byte the same.
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)

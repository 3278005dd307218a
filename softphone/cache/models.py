"""Tables of the encrypted customer cache. Imports no Qt.

Customers, products and price lists are kept as the CRM's own JSON documents (validated
with ``softphone.crm.schema`` on the way in and out) beside the few columns the cache
searches on. Times are seconds since the epoch (UTC).
"""

from __future__ import annotations

from sqlalchemy import Float, Index, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class CacheBase(DeclarativeBase):
    pass


class CustomerRow(CacheBase):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    region: Mapped[str] = mapped_column(String(200))
    # When the CRM last sent this customer (a change, or the periodic full walk).
    confirmed_at: Mapped[float] = mapped_column(Float, index=True)
    # Copies of the document's fields the dormant list searches on.
    type: Mapped[str] = mapped_column(String(16), server_default="")
    last_order_at: Mapped[float | None] = mapped_column(Float, nullable=True, index=True)
    data: Mapped[str] = mapped_column(Text)


class CustomerPhoneRow(CacheBase):
    __tablename__ = "customer_phones"
    __table_args__ = (Index("ix_customer_phones_customer_id", "customer_id"),)

    phone: Mapped[str] = mapped_column(String(16), primary_key=True)  # E.164
    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)


class CustomerRecentRow(CacheBase):
    """A customer's last orders and calls as the CRM last sent them, for the card offline."""

    __tablename__ = "customer_recent"

    customer_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    orders: Mapped[str] = mapped_column(Text)  # JSON list of Order documents
    calls: Mapped[str] = mapped_column(Text)  # JSON list of CallLog documents
    fetched_at: Mapped[float] = mapped_column(Float)


class OrderDraftRow(CacheBase):
    """An order being written, saved as the agent types so a crash loses nothing."""

    __tablename__ = "order_drafts"

    draft_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    customer_id: Mapped[str] = mapped_column(String(64))
    data: Mapped[str] = mapped_column(Text)  # the order form's own JSON
    updated_at: Mapped[float] = mapped_column(Float)


class ProductRow(CacheBase):
    __tablename__ = "products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[str] = mapped_column(Text)


class PriceListsRow(CacheBase):
    __tablename__ = "price_lists"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    data: Mapped[str] = mapped_column(Text)


class UsualForTypeRow(CacheBase):
    """The SKUs usual for each customer type, as the CRM last sent them."""

    __tablename__ = "usual_for_type"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)  # always 1
    data: Mapped[str] = mapped_column(Text)  # a UsualForType document


class SyncStateRow(CacheBase):
    """One row (id 1): where the change feed stands and what the last downloads were."""

    __tablename__ = "sync_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Position after the last complete walk plus the incremental pages since.
    cursor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    # Position inside a full walk of the feed that has not reached its end yet.
    walk_cursor: Mapped[str | None] = mapped_column(String(128), nullable=True)
    walk_started_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_full_walk: Mapped[float | None] = mapped_column(Float, nullable=True)
    last_success: Mapped[float | None] = mapped_column(Float, nullable=True)
    products_etag: Mapped[str | None] = mapped_column(String(256), nullable=True)
    price_lists_etag: Mapped[str | None] = mapped_column(String(256), nullable=True)
    usual_for_type_etag: Mapped[str | None] = mapped_column(String(256), nullable=True)


class OutboxRow(CacheBase):
    """A record for the CRM, and the local record of it the agent sees (kept for
    ``cache.retention_days`` once sent, see ``CacheStore.prune_sent``)."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))  # "order" | "call_log" | "lead"
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[str] = mapped_column(Text)
    customer_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[float] = mapped_column(Float)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    server_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    server_number: Mapped[str | None] = mapped_column(String(200), nullable=True)
    message: Mapped[str] = mapped_column(Text, default="")


class CallHistoryRow(CacheBase):
    """One finished call (``softphone.storage.history``)."""

    __tablename__ = "call_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    call_id: Mapped[str] = mapped_column(String(64))
    direction: Mapped[str] = mapped_column(String(16))
    display_name: Mapped[str] = mapped_column(String(256))
    number: Mapped[str] = mapped_column(String(128))
    uri: Mapped[str] = mapped_column(String(512))
    started_at: Mapped[float] = mapped_column(Float, index=True)
    answered_at: Mapped[float | None] = mapped_column(Float, nullable=True)
    ended_at: Mapped[float] = mapped_column(Float)
    duration_seconds: Mapped[float] = mapped_column(Float)
    outcome: Mapped[str] = mapped_column(String(32))

"""CRM tables: customers and their change feed, catalogue, orders, call logs, tokens.

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import uuid

import sqlalchemy as sa
from alembic import op

from softphone.crm.server.database import Hundredths, UtcDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    counter = op.create_table(
        "change_counter",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])
    state = op.create_table(
        "catalogue_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance", sa.String(32), nullable=False),
        sa.Column("products_version", sa.BigInteger(), nullable=False),
        sa.Column("prices_version", sa.BigInteger(), nullable=False),
        sa.Column("tax_percent", Hundredths(), nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "instance": uuid.uuid4().hex, "products_version": 0,
                            "prices_version": 0, "tax_percent": 0}])
    _customers()
    _catalogue()
    _orders_and_calls()
    _access()


def _customers() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
        sa.Column("type", sa.String(16), nullable=False),
        sa.Column("manager_name", sa.String(200), nullable=True),
        sa.Column("manager_extension", sa.String(32), nullable=False),
        sa.Column("balance", Hundredths(), nullable=False),
        sa.Column("overdue_debt", Hundredths(), nullable=False),
        sa.Column("overpayment", Hundredths(), nullable=False),
        sa.Column("credit_limit", Hundredths(), nullable=False),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("payment_terms", sa.String(200), nullable=False),
        sa.Column("delivery_address", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("change_seq", sa.BigInteger(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("change_seq"),
    )
    op.create_table(
        "customer_phones",
        sa.Column("customer_id", sa.String(64),
                  sa.ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("e164", sa.String(16), nullable=False),
    )
    op.create_index("ix_customer_phones_e164", "customer_phones", ["e164"])


def _catalogue() -> None:
    op.create_table(
        "products",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("unit", sa.String(32), nullable=False),
        sa.Column("stock", sa.BigInteger(), nullable=False),
        sa.Column("is_new", sa.Boolean(), nullable=False),
        sa.Column("is_special", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "product_prices",
        sa.Column("sku", sa.String(64), sa.ForeignKey("products.sku", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("column_id", sa.String(64), primary_key=True),
        sa.Column("price", Hundredths(), nullable=False),
    )
    op.create_table(
        "price_columns",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
    )
    op.create_table(
        "column_for_type",
        sa.Column("customer_type", sa.String(16), primary_key=True),
        sa.Column("column_id", sa.String(64), sa.ForeignKey("price_columns.id"),
                  nullable=False),
    )
    op.create_table(
        "discount_rules",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("description", sa.String(200), nullable=False),
        sa.Column("customer_type", sa.String(16), nullable=True),
        sa.Column("sku", sa.String(64), nullable=True),
        sa.Column("min_quantity", sa.Integer(), nullable=False),
        sa.Column("min_order_total", Hundredths(), nullable=True),
        sa.Column("percent", Hundredths(), nullable=False),
    )


def _orders_and_calls() -> None:
    op.create_table(
        "orders",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("subtotal", Hundredths(), nullable=False),
        sa.Column("tax_percent", Hundredths(), nullable=False),
        sa.Column("tax", Hundredths(), nullable=False),
        sa.Column("total", Hundredths(), nullable=False),
        sa.Column("delivery_method", sa.String(16), nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("delivery_window", sa.String(32), nullable=False),
        sa.Column("contact_person", sa.String(200), nullable=False),
        sa.Column("delivery_address", sa.Text(), nullable=False),
        sa.Column("shipping_details", sa.Text(), nullable=False),
        sa.Column("payment_method", sa.String(200), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("offered_skus", sa.JSON(), nullable=False),
        sa.Column("suggestions_dismissed", sa.Boolean(), nullable=False),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
    )
    op.create_index("ix_orders_customer_created", "orders", ["customer_id", "created_at"])
    op.create_table(
        "order_lines",
        sa.Column("order_id", sa.Integer(), sa.ForeignKey("orders.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("sku", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("unit_price", Hundredths(), nullable=False),
        sa.Column("discount_percent", Hundredths(), nullable=False),
        sa.Column("line_total", Hundredths(), nullable=False),
    )
    op.create_table(
        "call_logs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("customer_id", sa.String(64), sa.ForeignKey("customers.id"), nullable=True),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("duration_seconds", sa.Integer(), nullable=False),
        sa.Column("disposition", sa.String(200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("callback_at", UtcDateTime(), nullable=True),
        sa.Column("call_id", sa.String(128), nullable=False),
        sa.Column("agent", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
    )
    op.create_index("ix_call_logs_customer_started", "call_logs", ["customer_id", "started_at"])


def _access() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("token_sha256"),
    )
    op.create_table(
        "idempotency_records",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("token_id", sa.Integer(), sa.ForeignKey("api_tokens.id"), nullable=False),
        sa.Column("key", sa.String(128), nullable=False),
        sa.Column("endpoint", sa.String(64), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", sa.Text(), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.UniqueConstraint("token_id", "key", name="uq_idempotency_token_key"),
    )


def downgrade() -> None:
    for table in ("idempotency_records", "api_tokens", "call_logs", "order_lines", "orders",
                  "discount_rules", "column_for_type", "price_columns", "product_prices",
                  "products", "customer_phones", "customers", "catalogue_state",
                  "change_counter"):
        op.drop_table(table)

"""Customer cache, products, price lists, sync state and outbox.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "customers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("region", sa.String(200), nullable=False),
        sa.Column("confirmed_at", sa.Float(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_index("ix_customers_confirmed_at", "customers", ["confirmed_at"])
    op.create_table(
        "customer_phones",
        sa.Column("phone", sa.String(16), primary_key=True),
        sa.Column("customer_id", sa.String(64), primary_key=True),
    )
    op.create_index("ix_customer_phones_customer_id", "customer_phones", ["customer_id"])
    op.create_table(
        "products",
        sa.Column("sku", sa.String(64), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_table(
        "price_lists",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    op.create_table(
        "sync_state",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("cursor", sa.String(128), nullable=True),
        sa.Column("walk_cursor", sa.String(128), nullable=True),
        sa.Column("walk_started_at", sa.Float(), nullable=True),
        sa.Column("last_full_walk", sa.Float(), nullable=True),
        sa.Column("last_success", sa.Float(), nullable=True),
        sa.Column("products_etag", sa.String(256), nullable=True),
        sa.Column("price_lists_etag", sa.String(256), nullable=True),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(64), nullable=False, unique=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.Float(), nullable=True),
        sa.Column("server_id", sa.String(64), nullable=True),
        sa.Column("server_number", sa.String(200), nullable=True),
        sa.Column("message", sa.Text(), nullable=False),
    )
    op.create_index("ix_outbox_status", "outbox", ["status"])


def downgrade() -> None:
    for table in ("outbox", "sync_state", "price_lists", "products", "customer_phones",
                  "customers"):
        op.drop_table(table)

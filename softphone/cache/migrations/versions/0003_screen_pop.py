"""Customers' type and last order time; recent orders and calls; order drafts.

``type`` and ``last_order_at`` are filled in from each customer's stored document, so the
dormant list is right at once, before the next sync rewrites the rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("type", sa.String(16), nullable=False, server_default=""))
        batch.add_column(sa.Column("last_order_at", sa.Float(), nullable=True))
    op.execute("UPDATE customers SET type = coalesce(json_extract(data, '$.type'), ''), "
               "last_order_at = CAST(strftime('%s', json_extract(data, '$.last_order_at')) "
               "AS REAL)")
    op.create_index("ix_customers_last_order_at", "customers", ["last_order_at"])
    op.create_table(
        "customer_recent",
        sa.Column("customer_id", sa.String(64), primary_key=True),
        sa.Column("orders", sa.Text(), nullable=False),
        sa.Column("calls", sa.Text(), nullable=False),
        sa.Column("fetched_at", sa.Float(), nullable=False),
    )
    op.create_table(
        "order_drafts",
        sa.Column("draft_id", sa.String(64), primary_key=True),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("order_drafts")
    op.drop_table("customer_recent")
    op.drop_index("ix_customers_last_order_at", "customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("last_order_at")
        batch.drop_column("type")

"""Indexes for the products usual for each customer type.

The orders of the last days are found by their time, and each one's SKUs are read from
the index alone (``softphone.crm.server.usual``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_orders_created_at", "orders", ["created_at"])
    op.create_index("ix_order_lines_order_sku", "order_lines", ["order_id", "sku"])


def downgrade() -> None:
    op.drop_index("ix_order_lines_order_sku", "order_lines")
    op.drop_index("ix_orders_created_at", "orders")

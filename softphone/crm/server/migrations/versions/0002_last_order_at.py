"""Customers: the time of their newest order.

Filled in from the orders already stored. Each customer so filled takes a new place in
the change feed, so that the desks' caches learn it at their next incremental sync.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from softphone.crm.server.database import UtcDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("last_order_at", UtcDateTime(), nullable=True))
    connection = op.get_bind()
    connection.execute(sa.text(
        "UPDATE customers SET last_order_at = "
        "(SELECT MAX(orders.created_at) FROM orders WHERE orders.customer_id = customers.id)"))
    ordered = list(connection.execute(sa.text(
        "SELECT id FROM customers WHERE last_order_at IS NOT NULL ORDER BY id")).scalars())
    if not ordered:
        return
    last = connection.execute(sa.text(
        "UPDATE change_counter SET value = value + :count WHERE id = 1 RETURNING value"),
        {"count": len(ordered)}).scalar_one()
    first = last - len(ordered) + 1
    connection.execute(sa.text("UPDATE customers SET change_seq = :seq WHERE id = :id"),
                       [{"seq": first + offset, "id": id_} for offset, id_ in enumerate(ordered)])


def downgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("last_order_at")

"""The SKUs usual for each customer type, and the ETag they came with.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "usual_for_type",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("data", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("sync_state") as batch:
        batch.add_column(sa.Column("usual_for_type_etag", sa.String(256), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sync_state") as batch:
        batch.drop_column("usual_for_type_etag")
    op.drop_table("usual_for_type")

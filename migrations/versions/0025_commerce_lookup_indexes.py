"""commerce: indexes for saved-card charges and the refund reconciler

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-02 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | Sequence[str] | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("commerce_sandbox_payments", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commerce_sandbox_payments_card_token",
            ["card_token"],
            unique=False,
            postgresql_where=sa.text("card_token IS NOT NULL"),
            sqlite_where=sa.text("card_token IS NOT NULL"),
        )
    with op.batch_alter_table("commerce_refunds", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commerce_refunds_pending",
            ["created_at"],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("commerce_refunds", schema=None) as batch_op:
        batch_op.drop_index("ix_commerce_refunds_pending")
    with op.batch_alter_table("commerce_sandbox_payments", schema=None) as batch_op:
        batch_op.drop_index("ix_commerce_sandbox_payments_card_token")

"""billing: subscribing through the gateway's hosted page (status incomplete)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-02 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0022"
down_revision: str | Sequence[str] | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LIVE = "organization_id IS NULL AND status IN ('trialing', 'active', 'past_due')"
NEW_LIVE = "organization_id IS NULL AND status IN ('incomplete', 'trialing', 'active', 'past_due')"
OLD_STATUS = "status IN ('trialing', 'active', 'past_due', 'cancelled', 'expired')"
NEW_STATUS = "status IN ('incomplete', 'trialing', 'active', 'past_due', 'cancelled', 'expired')"


def _swap(index_where: str, status_check: str) -> None:
    with op.batch_alter_table("billing_subscriptions", schema=None) as batch_op:
        batch_op.drop_index("uq_billing_subscriptions_live")
        batch_op.drop_constraint(op.f("ck_billing_subscriptions_status"), type_="check")
        batch_op.create_check_constraint(op.f("ck_billing_subscriptions_status"), status_check)
        batch_op.create_index(
            "uq_billing_subscriptions_live",
            ["user_id", "plan_id"],
            unique=True,
            postgresql_where=sa.text(index_where),
            sqlite_where=sa.text(index_where),
        )


def upgrade() -> None:
    with op.batch_alter_table("billing_subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("checkout_payment_id", sa.String(length=255), nullable=True))
        batch_op.add_column(sa.Column("checkout_url", sa.String(length=2048), nullable=True))
        batch_op.add_column(
            sa.Column(
                "checkout_expires_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True
            )
        )
    _swap(NEW_LIVE, NEW_STATUS)


def downgrade() -> None:
    op.execute("DELETE FROM billing_subscriptions WHERE status = 'incomplete'")
    _swap(OLD_LIVE, OLD_STATUS)
    with op.batch_alter_table("billing_subscriptions", schema=None) as batch_op:
        batch_op.drop_column("checkout_expires_at")
        batch_op.drop_column("checkout_url")
        batch_op.drop_column("checkout_payment_id")

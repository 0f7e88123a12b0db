"""billing: gateway webhooks (disputes suspend a subscription; events received once)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-02 02:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0023"
down_revision: str | Sequence[str] | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_LIVE = "organization_id IS NULL AND status IN ('incomplete', 'trialing', 'active', 'past_due')"
NEW_LIVE = (
    "organization_id IS NULL AND status IN "
    "('incomplete', 'trialing', 'active', 'past_due', 'suspended')"
)
OLD_STATUS = "status IN ('incomplete', 'trialing', 'active', 'past_due', 'cancelled', 'expired')"
NEW_STATUS = (
    "status IN ('incomplete', 'trialing', 'active', 'past_due', 'suspended', "
    "'cancelled', 'expired')"
)


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
    op.create_table(
        "billing_webhook_events",
        sa.Column("gateway", sa.String(length=20), nullable=False),
        sa.Column("event_id", sa.String(length=255), nullable=False),
        sa.Column("provider_type", sa.String(length=120), nullable=False),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("subscription_id", sa.Uuid(), nullable=True),
        sa.Column("received_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("gateway", "event_id", name=op.f("pk_billing_webhook_events")),
    )
    _swap(NEW_LIVE, NEW_STATUS)


def downgrade() -> None:
    op.execute("UPDATE billing_subscriptions SET status = 'past_due' WHERE status = 'suspended'")
    _swap(OLD_LIVE, OLD_STATUS)
    op.drop_table("billing_webhook_events")

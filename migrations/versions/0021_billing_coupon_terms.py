"""billing: promo duration per coupon

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-02 02:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0021"
down_revision: str | Sequence[str] | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "billing_coupon_terms",
        sa.Column("coupon_id", sa.Uuid(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("duration", sa.String(length=10), nullable=False),
        sa.Column("periods", sa.Integer(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(duration = 'repeating' AND periods >= 1) OR "
            "(duration <> 'repeating' AND periods IS NULL)",
            name=op.f("ck_billing_coupon_terms_periods"),
        ),
        sa.CheckConstraint(
            "duration IN ('once', 'repeating', 'forever')",
            name=op.f("ck_billing_coupon_terms_duration"),
        ),
        sa.PrimaryKeyConstraint("coupon_id", name=op.f("pk_billing_coupon_terms")),
    )


def downgrade() -> None:
    op.drop_table("billing_coupon_terms")

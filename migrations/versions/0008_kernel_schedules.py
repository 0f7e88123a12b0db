"""kernel periodic job schedules

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22 03:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kernel_schedules",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("next_run_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_enqueued_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_kernel_schedules")),
    )


def downgrade() -> None:
    op.drop_table("kernel_schedules")

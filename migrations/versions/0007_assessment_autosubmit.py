"""assessment: exams closed automatically at their deadline, regraded quiz attempts

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("assessment_submissions") as batch:
        batch.add_column(
            sa.Column("auto_submitted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The default only filled existing rows; the application always writes the column.
    with op.batch_alter_table("assessment_submissions") as batch:
        batch.alter_column("auto_submitted", server_default=None)
    with op.batch_alter_table("assessment_attempts") as batch:
        batch.add_column(
            sa.Column("regraded_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("assessment_attempts") as batch:
        batch.drop_column("regraded_at")
    with op.batch_alter_table("assessment_submissions") as batch:
        batch.drop_column("auto_submitted")

"""credentials: module and track badges, and the rule columns that award them

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-02 03:25:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0024"
down_revision: str | Sequence[str] | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing rules award no badge: the columns are filled for them, then lose their default
    # (the application always writes both).
    with op.batch_alter_table("credentials_rules", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "badge_module_ids",
                campus.kernel.db.JSONDoc(),
                nullable=False,
                server_default=sa.text("'[]'"),
            )
        )
        batch_op.add_column(
            sa.Column("track_badge", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("credentials_rules", schema=None) as batch_op:
        batch_op.alter_column("badge_module_ids", server_default=None)
        batch_op.alter_column("track_badge", server_default=None)

    op.create_table(
        "credentials_badges",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("version_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("course_title", sa.String(length=500), nullable=False),
        sa.Column("learner_email", sa.String(length=320), nullable=False),
        sa.Column("issued_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('module', 'track')", name=op.f("ck_credentials_badges_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials_badges")),
        sa.UniqueConstraint(
            "user_id",
            "kind",
            "subject_id",
            name=op.f("uq_credentials_badges_user_id_kind_subject_id"),
        ),
    )
    with op.batch_alter_table("credentials_badges", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_credentials_badges_user_id"), ["user_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("credentials_badges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credentials_badges_user_id"))
    op.drop_table("credentials_badges")
    with op.batch_alter_table("credentials_rules", schema=None) as batch_op:
        batch_op.drop_column("track_badge")
        batch_op.drop_column("badge_module_ids")

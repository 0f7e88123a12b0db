"""assessment: the gradebook's projection of coding grades; coding: automated analyses are
labelled AUTOMATED, not AI

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assessment_gradebook_code_scores",
        sa.Column("submission_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("exercise_title", sa.String(length=200), nullable=False),
        sa.Column("score_percent", sa.Numeric(precision=9, scale=2), nullable=True),
        sa.Column("graded_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("submission_id", name=op.f("pk_assessment_gradebook_code_scores")),
    )
    with op.batch_alter_table("assessment_gradebook_code_scores", schema=None) as batch_op:
        batch_op.create_index(
            "ix_assessment_gradebook_code_scores_course",
            ["course_id", "exercise_id"],
            unique=False,
        )
        batch_op.create_index(
            "ix_assessment_gradebook_code_scores_exercise", ["exercise_id"], unique=False
        )
    # Machine-made code analyses (metrics and lint from the sandbox) were labelled "AI"; they
    # are what they are: AUTOMATED. HYBRID and MANUAL keep their names.
    op.execute(
        "UPDATE assessment_code_analyses SET analysis_type = 'AUTOMATED' WHERE analysis_type = 'AI'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE assessment_code_analyses SET analysis_type = 'AI' WHERE analysis_type = 'AUTOMATED'"
    )
    with op.batch_alter_table("assessment_gradebook_code_scores", schema=None) as batch_op:
        batch_op.drop_index("ix_assessment_gradebook_code_scores_exercise")
        batch_op.drop_index("ix_assessment_gradebook_code_scores_course")
    op.drop_table("assessment_gradebook_code_scores")

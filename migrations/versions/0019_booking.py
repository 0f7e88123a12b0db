"""booking: service types, consultant profiles and availability, sessions (requests and
scheduled sessions in one table) with the no-overlap guarantee, reminders sent, feedback

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0019"
down_revision: str | Sequence[str] | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: One consultant's occupied ranges never overlap while the session holds the time (ADR 0039).
#: SQLite serializes writers (BEGIN IMMEDIATE), and the booking service checks in the same
#: transaction there.
NO_OVERLAP = (
    "ALTER TABLE booking_sessions ADD CONSTRAINT booking_sessions_no_overlap "
    "EXCLUDE USING gist (consultant_user_id WITH =, "
    "tstzrange(blocked_from, blocked_until, '[)') WITH &&) "
    "WHERE (status IN ('held', 'pending_confirmation', 'scheduled', 'in_progress'))"
)


def upgrade() -> None:
    op.create_table(
        "booking_availability_overrides",
        sa.Column("consultant_user_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=True),
        sa.Column("end_minute", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "(start_minute IS NULL AND end_minute IS NULL) OR (start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute)",
            name=op.f("ck_booking_availability_overrides_window"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_availability_overrides")),
    )
    op.create_index(
        op.f("ix_booking_availability_overrides_consultant_user_id"),
        "booking_availability_overrides",
        ["consultant_user_id"],
        unique=False,
    )
    op.create_table(
        "booking_availability_rules",
        sa.Column("consultant_user_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("start_minute", sa.Integer(), nullable=False),
        sa.Column("end_minute", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "start_minute >= 0 AND end_minute <= 1440 AND start_minute < end_minute",
            name=op.f("ck_booking_availability_rules_window"),
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_booking_availability_rules_weekday")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_availability_rules")),
    )
    op.create_index(
        op.f("ix_booking_availability_rules_consultant_user_id"),
        "booking_availability_rules",
        ["consultant_user_id"],
        unique=False,
    )
    op.create_table(
        "booking_consultants",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("display_name", sa.String(length=120), nullable=False),
        sa.Column("bio", sa.Text(), nullable=False),
        sa.Column("specializations", campus.kernel.db.JSONDoc(), nullable=False),
        sa.Column("languages", campus.kernel.db.JSONDoc(), nullable=False),
        sa.Column("time_zone", sa.String(length=64), nullable=False),
        sa.Column("photo_url", sa.String(length=500), nullable=True),
        sa.Column("is_bookable", sa.Boolean(), nullable=False),
        sa.Column("service_type_ids", campus.kernel.db.JSONDoc(), nullable=False),
        sa.Column("min_notice_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("daily_limit", sa.Integer(), nullable=True),
        sa.Column("rating_sum", sa.Integer(), nullable=False),
        sa.Column("rating_count", sa.Integer(), nullable=False),
        sa.Column("last_assigned_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "daily_limit IS NULL OR daily_limit >= 1",
            name=op.f("ck_booking_consultants_daily_limit"),
        ),
        sa.CheckConstraint(
            "horizon_days BETWEEN 1 AND 366", name=op.f("ck_booking_consultants_horizon")
        ),
        sa.CheckConstraint(
            "min_notice_minutes >= 0", name=op.f("ck_booking_consultants_min_notice")
        ),
        sa.CheckConstraint("rating_count >= 0", name=op.f("ck_booking_consultants_rating_count")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_booking_consultants")),
    )
    op.create_table(
        "booking_feedback",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("consultant_user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("is_public", sa.Boolean(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_booking_feedback_rating")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_feedback")),
        sa.UniqueConstraint("session_id", name=op.f("uq_booking_feedback_session_id")),
    )
    op.create_index(
        op.f("ix_booking_feedback_consultant_user_id"),
        "booking_feedback",
        ["consultant_user_id"],
        unique=False,
    )
    op.create_table(
        "booking_reminders_sent",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("minutes_before", sa.Integer(), nullable=False),
        sa.Column("sent_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "session_id", "minutes_before", name=op.f("pk_booking_reminders_sent")
        ),
    )
    op.create_table(
        "booking_service_types",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_before_minutes", sa.Integer(), nullable=False),
        sa.Column("buffer_after_minutes", sa.Integer(), nullable=False),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("requires_confirmation", sa.Boolean(), nullable=False),
        sa.Column("eligibility", sa.String(length=24), nullable=False),
        sa.Column("course_ids", campus.kernel.db.JSONDoc(), nullable=False),
        sa.Column("organization_id", sa.Uuid(), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "eligibility IN ('anyone', 'course_learners', 'organization_members')",
            name=op.f("ck_booking_service_types_eligibility"),
        ),
        sa.CheckConstraint(
            "buffer_after_minutes BETWEEN 0 AND 240",
            name=op.f("ck_booking_service_types_buffer_after"),
        ),
        sa.CheckConstraint(
            "buffer_before_minutes BETWEEN 0 AND 240",
            name=op.f("ck_booking_service_types_buffer_before"),
        ),
        sa.CheckConstraint(
            "duration_minutes BETWEEN 5 AND 480", name=op.f("ck_booking_service_types_duration")
        ),
        sa.CheckConstraint("price_minor >= 0", name=op.f("ck_booking_service_types_price")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_service_types")),
    )
    op.create_table(
        "booking_sessions",
        sa.Column("service_type_id", sa.Uuid(), nullable=False),
        sa.Column("learner_id", sa.Uuid(), nullable=False),
        sa.Column("consultant_user_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_from", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("blocked_until", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("learner_time_zone", sa.String(length=64), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("respond_by", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("hold_expires_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("price_minor", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("payment_status", sa.String(length=16), nullable=False),
        sa.Column("gateway_payment_id", sa.String(length=120), nullable=True),
        sa.Column("reschedule_count", sa.Integer(), nullable=False),
        sa.Column("cancelled_by", sa.String(length=16), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=True),
        sa.Column("meeting_provider", sa.String(length=32), nullable=True),
        sa.Column("meeting_id", sa.String(length=255), nullable=True),
        sa.Column("join_url", sa.String(length=1000), nullable=True),
        sa.Column("private_notes", sa.Text(), nullable=False),
        sa.Column("shared_notes", sa.Text(), nullable=False),
        sa.Column("completed_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "blocked_from <= starts_at AND blocked_until >= ends_at",
            name=op.f("ck_booking_sessions_blocked"),
        ),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_booking_sessions_times")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_sessions")),
    )
    op.create_index(
        "ix_booking_sessions_consultant_start",
        "booking_sessions",
        ["consultant_user_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        "ix_booking_sessions_learner_start",
        "booking_sessions",
        ["learner_id", "starts_at"],
        unique=False,
    )
    op.create_index(
        "ix_booking_sessions_status_start",
        "booking_sessions",
        ["status", "starts_at"],
        unique=False,
    )
    op.create_table(
        "booking_calendar_feeds",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_booking_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_booking_calendar_feeds_token_hash")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(NO_OVERLAP)


def downgrade() -> None:
    op.drop_table("booking_calendar_feeds")
    op.drop_index("ix_booking_sessions_status_start", table_name="booking_sessions")
    op.drop_index("ix_booking_sessions_learner_start", table_name="booking_sessions")
    op.drop_index("ix_booking_sessions_consultant_start", table_name="booking_sessions")
    op.drop_table("booking_sessions")
    op.drop_table("booking_service_types")
    op.drop_table("booking_reminders_sent")
    op.drop_index(op.f("ix_booking_feedback_consultant_user_id"), table_name="booking_feedback")
    op.drop_table("booking_feedback")
    op.drop_table("booking_consultants")
    op.drop_index(
        op.f("ix_booking_availability_rules_consultant_user_id"),
        table_name="booking_availability_rules",
    )
    op.drop_table("booking_availability_rules")
    op.drop_index(
        op.f("ix_booking_availability_overrides_consultant_user_id"),
        table_name="booking_availability_overrides",
    )
    op.drop_table("booking_availability_overrides")

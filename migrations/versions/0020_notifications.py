"""notifications (and identity's user_settings.time_zone)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from campus.kernel.db import JSONDoc, UTCDateTime

revision: str = "0020"
down_revision: str | Sequence[str] | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Identity: the user's time zone (quiet hours and digests follow the user's wall clock).
    op.add_column(
        "user_settings",
        sa.Column("time_zone", sa.String(length=64), server_default="UTC", nullable=False),
    )
    op.create_table(
        "notification_announcements",
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("role", sa.String(length=50), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("send_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_announcements")),
    )
    op.create_index(
        op.f("ix_notification_announcements_course_id"),
        "notification_announcements",
        ["course_id"],
        unique=False,
    )
    op.create_table(
        "notification_digest_runs",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("frequency", sa.String(length=10), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("notification_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "user_id", "frequency", "period", name=op.f("pk_notification_digest_runs")
        ),
    )
    op.create_table(
        "notification_email_suppressions",
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_notification_email_suppressions")),
    )
    op.create_table(
        "notification_push_subscriptions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("endpoint", sa.String(length=2048), nullable=False),
        sa.Column("p256dh", sa.String(length=100), nullable=False),
        sa.Column("auth", sa.String(length=40), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_notification_push_subscriptions_endpoint")),
    )
    op.create_index(
        op.f("ix_notification_push_subscriptions_user_id"),
        "notification_push_subscriptions",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("channels", JSONDoc(), nullable=False),
        sa.Column("digests", JSONDoc(), nullable=False),
        sa.Column("quiet_start", sa.Integer(), nullable=True),
        sa.Column("quiet_end", sa.Integer(), nullable=True),
        sa.Column("time_zone", sa.String(length=64), nullable=True),
        sa.Column("marketing_opt_out", sa.Boolean(), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "notification_templates",
        sa.Column("type_code", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=True),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_templates")),
        sa.UniqueConstraint(
            "type_code",
            "channel",
            "language",
            "version",
            name=op.f("uq_notification_templates_type_code_channel_language_version"),
        ),
    )
    op.create_table(
        "notifications",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type_code", sa.String(length=60), nullable=False),
        sa.Column("category", sa.String(length=20), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("payload", JSONDoc(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("url", sa.String(length=1000), nullable=True),
        sa.Column("in_inbox", sa.Boolean(), nullable=False),
        sa.Column("read_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("archived_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint(
            "user_id", "dedupe_key", name=op.f("uq_notifications_user_id_dedupe_key")
        ),
    )
    op.create_index(
        "ix_notifications_inbox",
        "notifications",
        ["user_id", "in_inbox", "archived_at", "id"],
        unique=False,
    )
    op.create_table(
        "notification_deliveries",
        sa.Column("notification_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("type_code", sa.String(length=60), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=True),
        sa.Column("language", sa.String(length=16), nullable=True),
        sa.Column("template_version", sa.Integer(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("send_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("provider_message_id", sa.String(length=200), nullable=True),
        sa.Column("provider_response", sa.String(length=1000), nullable=True),
        sa.Column("last_error", sa.String(length=1000), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["notification_id"],
            ["notifications.id"],
            name=op.f("fk_notification_deliveries_notification_id_notifications"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_deliveries")),
        sa.UniqueConstraint(
            "notification_id",
            "channel",
            name=op.f("uq_notification_deliveries_notification_id_channel"),
        ),
    )
    op.create_index(
        "ix_notification_deliveries_provider",
        "notification_deliveries",
        ["provider_message_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_notification_deliveries_status"),
        "notification_deliveries",
        ["status"],
        unique=False,
    )
    op.create_index(
        "ix_notification_deliveries_user_status",
        "notification_deliveries",
        ["user_id", "status"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_notification_deliveries_user_status", table_name="notification_deliveries")
    op.drop_index(op.f("ix_notification_deliveries_status"), table_name="notification_deliveries")
    op.drop_index("ix_notification_deliveries_provider", table_name="notification_deliveries")
    op.drop_table("notification_deliveries")
    op.drop_index("ix_notifications_inbox", table_name="notifications")
    op.drop_table("notifications")
    op.drop_table("notification_templates")
    op.drop_table("notification_settings")
    op.drop_index(
        op.f("ix_notification_push_subscriptions_user_id"),
        table_name="notification_push_subscriptions",
    )
    op.drop_table("notification_push_subscriptions")
    op.drop_table("notification_email_suppressions")
    op.drop_table("notification_digest_runs")
    op.drop_index(
        op.f("ix_notification_announcements_course_id"), table_name="notification_announcements"
    )
    op.drop_table("notification_announcements")
    with op.batch_alter_table("user_settings") as batch:
        batch.drop_column("time_zone")

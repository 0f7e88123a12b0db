"""community: forums, reviews and ratings, moderation, testimonials, lesson notes; the
platform-wide ``moderator`` role

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02 02:30:00
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0018"
down_revision: str | Sequence[str] | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Search objects that exist for one dialect only (raw SQL; the drift check skips them, see
# campus.kernel.db.register_unmanaged_schema_objects and campus.community.models), as the
# catalog's course search (migration 0003).
_SQLITE_SEARCH = [
    "CREATE VIRTUAL TABLE community_topic_search_fts USING fts5("
    "headline, body, topic_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER community_topic_search_fts_insert AFTER INSERT ON community_topic_search "
    "BEGIN INSERT INTO community_topic_search_fts (headline, body, topic_id) "
    "VALUES (new.headline, new.body, new.topic_id); END",
    "CREATE TRIGGER community_topic_search_fts_delete AFTER DELETE ON community_topic_search "
    "BEGIN DELETE FROM community_topic_search_fts WHERE topic_id = old.topic_id; END",
    "CREATE TRIGGER community_topic_search_fts_update AFTER UPDATE ON community_topic_search "
    "BEGIN DELETE FROM community_topic_search_fts WHERE topic_id = old.topic_id; "
    "INSERT INTO community_topic_search_fts (headline, body, topic_id) "
    "VALUES (new.headline, new.body, new.topic_id); END",
]
_SQLITE_SEARCH_DROP = [
    "DROP TRIGGER IF EXISTS community_topic_search_fts_update",
    "DROP TRIGGER IF EXISTS community_topic_search_fts_delete",
    "DROP TRIGGER IF EXISTS community_topic_search_fts_insert",
    "DROP TABLE IF EXISTS community_topic_search_fts",
]
_POSTGRES_SEARCH = [
    "ALTER TABLE community_topic_search ADD COLUMN search_vector_pg tsvector "
    "GENERATED ALWAYS AS ("
    "setweight(to_tsvector('simple'::regconfig, headline), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, body), 'B')) STORED",
    "CREATE INDEX ix_community_topic_search_document ON community_topic_search "
    "USING gin (search_vector_pg)",
]
_POSTGRES_SEARCH_DROP = [
    "DROP INDEX IF EXISTS ix_community_topic_search_document",
    "ALTER TABLE community_topic_search DROP COLUMN IF EXISTS search_vector_pg",
]

#: The platform-wide moderator role and what it holds (campus.community.data).
_ROLE = ("moderator", "Moderates the forums, reviews and reports of every course.")
_PERMISSIONS = {
    "community:moderate": "Moderate every forum, review and report (the moderator role).",
}

_roles = sa.table(
    "roles",
    sa.column("name", sa.String),
    sa.column("description", sa.String),
    sa.column("created_at", campus.kernel.db.UTCDateTime(timezone=True)),
)
_permissions = sa.table(
    "permissions",
    sa.column("name", sa.String),
    sa.column("description", sa.String),
    sa.column("created_at", campus.kernel.db.UTCDateTime(timezone=True)),
)
_grants = sa.table(
    "role_permissions",
    sa.column("role_name", sa.String),
    sa.column("permission_name", sa.String),
    sa.column("created_at", campus.kernel.db.UTCDateTime(timezone=True)),
)


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def _seed_moderator_role() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    if bind.execute(sa.select(_roles.c.name).where(_roles.c.name == _ROLE[0])).first() is None:
        op.bulk_insert(_roles, [{"name": _ROLE[0], "description": _ROLE[1], "created_at": now}])
    for name, description in _PERMISSIONS.items():
        found = bind.execute(sa.select(_permissions.c.name).where(_permissions.c.name == name))
        if found.first() is None:
            op.bulk_insert(
                _permissions, [{"name": name, "description": description, "created_at": now}]
            )
        granted = bind.execute(
            sa.select(_grants.c.role_name).where(
                _grants.c.role_name == _ROLE[0], _grants.c.permission_name == name
            )
        )
        if granted.first() is None:
            op.bulk_insert(
                _grants, [{"role_name": _ROLE[0], "permission_name": name, "created_at": now}]
            )


def upgrade() -> None:
    op.create_table(
        "community_course_moderators",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("appointed_by", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "course_id", "user_id", name=op.f("pk_community_course_moderators")
        ),
    )
    op.create_index(
        op.f("ix_community_course_moderators_user_id"),
        "community_course_moderators",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "community_forum_settings",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("public_preview", sa.Boolean(), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("course_id", name=op.f("pk_community_forum_settings")),
    )
    op.create_table(
        "community_lesson_notes",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("lesson_id", sa.Uuid(), nullable=False),
        sa.Column("text", sa.String(length=10000), nullable=False),
        sa.Column("video_seconds", sa.Integer(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_lesson_notes")),
    )
    op.create_index(
        "ix_community_lesson_notes_owner",
        "community_lesson_notes",
        ["user_id", "course_id"],
        unique=False,
    )
    op.create_table(
        "community_mentions",
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source_id", "user_id", name=op.f("pk_community_mentions")),
    )
    op.create_table(
        "community_moderation_log",
        sa.Column("moderator_id", sa.Uuid(), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("target_type", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("report_id", sa.Uuid(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_moderation_log")),
    )
    op.create_index(
        "ix_community_moderation_log_course",
        "community_moderation_log",
        ["course_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "community_reports",
        sa.Column("target_type", sa.String(length=10), nullable=False),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("target_author_id", sa.Uuid(), nullable=False),
        sa.Column("reporter_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_reports")),
    )
    op.create_index(
        op.f("ix_community_reports_course_id"), "community_reports", ["course_id"], unique=False
    )
    op.create_index(
        "ix_community_reports_status", "community_reports", ["status", "created_at"], unique=False
    )
    op.create_index(
        "uq_community_reports_open",
        "community_reports",
        ["target_id", "reporter_id"],
        unique=True,
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "community_reviews",
        sa.Column("course_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("moderator_id", sa.Uuid(), nullable=True),
        sa.Column("moderation_note", sa.String(length=500), nullable=True),
        sa.Column("helpful_count", sa.Integer(), nullable=False),
        sa.Column("reply_text", sa.Text(), nullable=True),
        sa.Column("reply_by", sa.Uuid(), nullable=True),
        sa.Column("replied_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rating BETWEEN 1 AND 5", name=op.f("ck_community_reviews_rating_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_reviews")),
        sa.UniqueConstraint("course_id", "user_id", name="uq_community_reviews_course_user"),
    )
    op.create_index(
        "ix_community_reviews_course_status",
        "community_reviews",
        ["course_id", "status", "created_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_reviews_user_id"), "community_reviews", ["user_id"], unique=False
    )
    op.create_table(
        "community_revisions",
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("editor_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_revisions")),
    )
    op.create_index(
        "ix_community_revisions_target",
        "community_revisions",
        ["target_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "community_sanctions",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("ends_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("moderator_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("lifted_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("kind IN ('mute', 'ban')", name=op.f("ck_community_sanctions_kind")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_sanctions")),
    )
    op.create_index(
        "ix_community_sanctions_user", "community_sanctions", ["user_id", "ends_at"], unique=False
    )
    op.create_table(
        "community_testimonials",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("text", sa.String(length=2000), nullable=False),
        sa.Column("author_name", sa.String(length=120), nullable=False),
        sa.Column("author_title", sa.String(length=120), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("is_featured", sa.Boolean(), nullable=False),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_testimonials")),
    )
    op.create_index(
        "ix_community_testimonials_featured",
        "community_testimonials",
        ["is_featured", "status"],
        unique=False,
    )
    op.create_index(
        op.f("ix_community_testimonials_user_id"),
        "community_testimonials",
        ["user_id"],
        unique=False,
    )
    op.create_table(
        "community_topics",
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("category", sa.String(length=20), nullable=True),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("tags", campus.kernel.db.JSONDoc(), nullable=False),
        sa.Column("module_id", sa.Uuid(), nullable=True),
        sa.Column("lesson_id", sa.Uuid(), nullable=True),
        sa.Column("is_pinned", sa.Boolean(), nullable=False),
        sa.Column("is_locked", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("solution_post_id", sa.Uuid(), nullable=True),
        sa.Column("post_count", sa.Integer(), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("last_activity_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("edited_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(course_id IS NULL) <> (category IS NULL)",
            name=op.f("ck_community_topics_course_or_category"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_topics")),
    )
    op.create_index(
        op.f("ix_community_topics_author_id"), "community_topics", ["author_id"], unique=False
    )
    op.create_index(
        "ix_community_topics_category_activity",
        "community_topics",
        ["category", "last_activity_at"],
        unique=False,
    )
    op.create_index(
        "ix_community_topics_course_activity",
        "community_topics",
        ["course_id", "is_pinned", "last_activity_at"],
        unique=False,
    )
    op.create_index("ix_community_topics_lesson", "community_topics", ["lesson_id"], unique=False)
    op.create_table(
        "community_votes",
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("target_id", "user_id", name=op.f("pk_community_votes")),
    )
    op.create_table(
        "community_follows",
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["community_topics.id"],
            name=op.f("fk_community_follows_topic_id_community_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", "user_id", name=op.f("pk_community_follows")),
    )
    op.create_index(
        op.f("ix_community_follows_user_id"), "community_follows", ["user_id"], unique=False
    )
    op.create_table(
        "community_posts",
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=False),
        sa.Column("body_markdown", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("vote_count", sa.Integer(), nullable=False),
        sa.Column("edited_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("depth >= 0", name=op.f("ck_community_posts_depth_not_negative")),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["community_posts.id"],
            name=op.f("fk_community_posts_parent_id_community_posts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["community_topics.id"],
            name=op.f("fk_community_posts_topic_id_community_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_posts")),
    )
    op.create_index(
        op.f("ix_community_posts_author_id"), "community_posts", ["author_id"], unique=False
    )
    op.create_index(
        op.f("ix_community_posts_parent_id"), "community_posts", ["parent_id"], unique=False
    )
    op.create_index(
        "ix_community_posts_topic_created",
        "community_posts",
        ["topic_id", "created_at"],
        unique=False,
    )
    op.create_table(
        "community_review_votes",
        sa.Column("review_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["review_id"],
            ["community_reviews.id"],
            name=op.f("fk_community_review_votes_review_id_community_reviews"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("review_id", "user_id", name=op.f("pk_community_review_votes")),
    )
    op.create_table(
        "community_topic_search",
        sa.Column("topic_id", sa.Uuid(), nullable=False),
        sa.Column("course_id", sa.Uuid(), nullable=True),
        sa.Column("headline", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["community_topics.id"],
            name=op.f("fk_community_topic_search_topic_id_community_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("topic_id", name=op.f("pk_community_topic_search")),
    )
    op.create_index(
        op.f("ix_community_topic_search_course_id"),
        "community_topic_search",
        ["course_id"],
        unique=False,
    )

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(_SQLITE_SEARCH)
    elif dialect == "postgresql":
        _run(_POSTGRES_SEARCH)
    _seed_moderator_role()


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM user_roles WHERE role_name = 'moderator'"))
    op.execute(sa.text("DELETE FROM role_permissions WHERE role_name = 'moderator'"))
    op.execute(sa.text("DELETE FROM roles WHERE name = 'moderator'"))
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        _run(_SQLITE_SEARCH_DROP)
    elif dialect == "postgresql":
        _run(_POSTGRES_SEARCH_DROP)
    op.drop_index(op.f("ix_community_topic_search_course_id"), table_name="community_topic_search")
    op.drop_table("community_topic_search")
    op.drop_table("community_review_votes")
    op.drop_index("ix_community_posts_topic_created", table_name="community_posts")
    op.drop_index(op.f("ix_community_posts_parent_id"), table_name="community_posts")
    op.drop_index(op.f("ix_community_posts_author_id"), table_name="community_posts")
    op.drop_table("community_posts")
    op.drop_index(op.f("ix_community_follows_user_id"), table_name="community_follows")
    op.drop_table("community_follows")
    op.drop_table("community_votes")
    op.drop_index("ix_community_topics_lesson", table_name="community_topics")
    op.drop_index("ix_community_topics_course_activity", table_name="community_topics")
    op.drop_index("ix_community_topics_category_activity", table_name="community_topics")
    op.drop_index(op.f("ix_community_topics_author_id"), table_name="community_topics")
    op.drop_table("community_topics")
    op.drop_index(op.f("ix_community_testimonials_user_id"), table_name="community_testimonials")
    op.drop_index("ix_community_testimonials_featured", table_name="community_testimonials")
    op.drop_table("community_testimonials")
    op.drop_index("ix_community_sanctions_user", table_name="community_sanctions")
    op.drop_table("community_sanctions")
    op.drop_index("ix_community_revisions_target", table_name="community_revisions")
    op.drop_table("community_revisions")
    op.drop_index(op.f("ix_community_reviews_user_id"), table_name="community_reviews")
    op.drop_index("ix_community_reviews_course_status", table_name="community_reviews")
    op.drop_table("community_reviews")
    op.drop_index(
        "uq_community_reports_open",
        table_name="community_reports",
        sqlite_where=sa.text("status = 'open'"),
        postgresql_where=sa.text("status = 'open'"),
    )
    op.drop_index("ix_community_reports_status", table_name="community_reports")
    op.drop_index(op.f("ix_community_reports_course_id"), table_name="community_reports")
    op.drop_table("community_reports")
    op.drop_index("ix_community_moderation_log_course", table_name="community_moderation_log")
    op.drop_table("community_moderation_log")
    op.drop_table("community_mentions")
    op.drop_index("ix_community_lesson_notes_owner", table_name="community_lesson_notes")
    op.drop_table("community_lesson_notes")
    op.drop_table("community_forum_settings")
    op.drop_index(
        op.f("ix_community_course_moderators_user_id"), table_name="community_course_moderators"
    )
    op.drop_table("community_course_moderators")

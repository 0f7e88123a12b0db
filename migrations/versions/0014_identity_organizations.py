"""identity: organizations (companies with branding and email domains), their members with
their roles, and invitations by email (token stored as its SHA-256)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 00:27:02.397912
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campus.kernel.db

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "identity_organizations",
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("slug", sa.String(length=60), nullable=False),
        sa.Column("logo_url", sa.String(length=1000), nullable=True),
        sa.Column("primary_colour", sa.String(length=7), nullable=True),
        sa.Column("domains", campus.kernel.db.JSONDoc(), nullable=False),
        sa.Column("auto_join_verified_domain", sa.Boolean(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "length(primary_colour) = 7",
            name=op.f("ck_identity_organizations_primary_colour_length"),
        ),
        sa.CheckConstraint("length(slug) >= 2", name=op.f("ck_identity_organizations_slug_length")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_organizations")),
        sa.UniqueConstraint("slug", name=op.f("uq_identity_organizations_slug")),
    )
    op.create_table(
        "identity_organization_invitations",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("accepted_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "role IN ('org_admin', 'manager', 'learner')",
            name=op.f("ck_identity_organization_invitations_role"),
        ),
        sa.ForeignKeyConstraint(
            ["accepted_by"],
            ["users.id"],
            name=op.f("fk_identity_organization_invitations_accepted_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_identity_organization_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["identity_organizations.id"],
            name=op.f("fk_identity_organization_invitations_org_id_identity_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_organization_invitations")),
        sa.UniqueConstraint(
            "token_hash", name=op.f("uq_identity_organization_invitations_token_hash")
        ),
    )
    with op.batch_alter_table("identity_organization_invitations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_identity_organization_invitations_org", ["org_id", "created_at"], unique=False
        )

    op.create_table(
        "identity_organization_members",
        sa.Column("org_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("joined_at", campus.kernel.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint(
            "role IN ('org_admin', 'manager', 'learner')",
            name=op.f("ck_identity_organization_members_role"),
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_identity_organization_members_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["identity_organizations.id"],
            name=op.f("fk_identity_organization_members_org_id_identity_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_identity_organization_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_identity_organization_members")),
    )
    with op.batch_alter_table("identity_organization_members", schema=None) as batch_op:
        batch_op.create_index("ix_identity_organization_members_user", ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("identity_organization_members", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_organization_members_user")

    op.drop_table("identity_organization_members")
    with op.batch_alter_table("identity_organization_invitations", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_organization_invitations_org")

    op.drop_table("identity_organization_invitations")
    op.drop_table("identity_organizations")

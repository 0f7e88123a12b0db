"""catalog: the public sort indexes also hold the filterable columns

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22 07:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILTERS = ("level", "language", "price_sort", "rating_hundredths", "category_id")
SORTS = {
    "ix_catalog_courses_status_published": "published_at",
    "ix_catalog_courses_status_enrollments": "enrollment_count",
    "ix_catalog_courses_status_rating": "rating_hundredths",
    "ix_catalog_courses_status_price": "price_sort",
    "ix_catalog_courses_status_title": "title_sort",
}


def upgrade() -> None:
    for name, key in SORTS.items():
        op.drop_index(name, table_name="catalog_courses")
        columns = ["status", key, "id", *(c for c in FILTERS if c != key)]
        op.create_index(name, "catalog_courses", columns, unique=False)


def downgrade() -> None:
    for name, key in SORTS.items():
        op.drop_index(name, table_name="catalog_courses")
        op.create_index(name, "catalog_courses", ["status", key, "id"], unique=False)

"""Org reporting (the ``company_learning_summary``): for an organization's admins, their
members' enrollments, progress and completions in the courses the organization's
subscriptions opened, read through learning's and identity's doorways. One page, or a CSV
streamed in keyset chunks, each read in a short session of its own (flat memory)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.billing.repository import plans as plans_repo
from campus.billing.repository import subscriptions as repo
from campus.billing.service.organizations import require_org_admin
from campus.billing.service.records import SubscriptionRecord, plan_record, subscription_record
from campus.catalog import api as catalog
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.db import Database
from campus.learning import api as learning

CSV_HEADER = (
    "member_id",
    "member_name",
    "member_email",
    "course_id",
    "course_title",
    "status",
    "progress_percent",
    "enrolled_at",
    "completed_at",
)


@dataclass(frozen=True, slots=True)
class MemberLearningRow:
    user_id: uuid.UUID
    display_name: str
    email: str
    course_id: uuid.UUID
    course_title: str
    status: str
    progress_percent: int
    enrolled_at: datetime | None
    completed_at: datetime | None


async def _rows(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> list[MemberLearningRow]:
    users = await identity.get_user_summaries(session, {user for user, _ in pairs})
    courses = await catalog.get_course_summaries(session, {course for _, course in pairs})
    out = []
    for user_id, course_id in pairs:
        enrollment = await learning.get_enrollment(session, user_id, course_id)
        user = users.get(user_id)
        course = courses.get(course_id)
        out.append(
            MemberLearningRow(
                user_id=user_id,
                display_name=user.display_name if user else "",
                email=user.email if user else "",
                course_id=course_id,
                course_title=course.title if course else "",
                status=enrollment.status.value if enrollment else "not_enrolled",
                progress_percent=enrollment.progress_percent if enrollment else 0,
                enrolled_at=enrollment.enrolled_at if enrollment else None,
                completed_at=enrollment.completed_at if enrollment else None,
            )
        )
    return out


async def learning_page(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    *,
    offset: int,
    limit: int,
) -> tuple[list[MemberLearningRow], int]:
    await require_org_admin(session, principal, organization_id)
    pairs, total = await repo.organization_grants_page(
        session, organization_id, offset=offset, limit=limit
    )
    return await _rows(session, pairs), total


async def authorize_export(
    session: AsyncSession, principal: Principal, organization_id: uuid.UUID
) -> None:
    await require_org_admin(session, principal, organization_id)


def _csv(rows: Sequence[MemberLearningRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(
            [
                row.user_id,
                _safe(row.display_name),
                _safe(row.email),
                row.course_id,
                _safe(row.course_title),
                row.status,
                row.progress_percent,
                row.enrolled_at.isoformat() if row.enrolled_at else "",
                row.completed_at.isoformat() if row.completed_at else "",
            ]
        )
    return buffer.getvalue()


def _safe(text: str) -> str:
    """Spreadsheets run cells starting with these as formulas: quote them."""
    return "'" + text if text[:1] in {"=", "+", "-", "@", "\t", "\r"} else text


async def stream_csv(db: Database, organization_id: uuid.UUID, size: int) -> AsyncIterator[bytes]:
    """For ``StreamingResponse``: each chunk read in a short read-only session of its own."""
    yield (",".join(CSV_HEADER) + "\r\n").encode()
    after: tuple[uuid.UUID, uuid.UUID] | None = None
    while True:
        async with db.read_session() as session:
            pairs = await repo.organization_grants_after(session, organization_id, after, size)
            rows = await _rows(session, pairs)
        if rows:
            yield _csv(rows).encode()
            after = pairs[-1]
        if len(pairs) < size:
            return


async def organization_subscriptions(
    session: AsyncSession,
    principal: Principal,
    organization_id: uuid.UUID,
    *,
    offset: int,
    limit: int,
) -> tuple[list[SubscriptionRecord], int]:
    await require_org_admin(session, principal, organization_id)
    rows, total = await repo.list_for_organization(
        session, organization_id, offset=offset, limit=limit
    )
    plans = await plans_repo.get_many(session, {row.plan_id for row in rows})
    return [subscription_record(row, plan_record(plans[row.plan_id])) for row in rows], total

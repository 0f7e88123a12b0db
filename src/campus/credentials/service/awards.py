"""Module and track badges: Open Badges 3.0 achievements short of a certificate.

A course version's rule names the modules (by lineage id) whose completion awards a badge, and
whether completing the course awards its track badge (a course that is a track, such as the
Python track). Each badge is held at most once per learner and subject: the insert is ``ON
CONFLICT DO NOTHING`` on ``(user_id, kind, subject_id)``, and only the inserting transaction
publishes ``credentials.badge_issued``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.credentials import events
from campus.credentials.exceptions import BadgeNotFound
from campus.credentials.models import Badge
from campus.credentials.repository import badges as badge_repo
from campus.credentials.repository import certificates as repo
from campus.credentials.service.records import BadgeRecord
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.events import publish
from campus.kernel.ids import new_id

MODULE = "module"
TRACK = "track"


async def on_module_completed(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    module_lineage_id: uuid.UUID,
    completed_at: datetime,
) -> uuid.UUID | None:
    """Award the module's badge when the version's rule names the module; the new badge's id,
    else ``None`` (no badge for this module, or the learner holds it already)."""
    rule = await repo.rule_for_version(session, version_id)
    if rule is None or str(module_lineage_id) not in rule.badge_module_ids:
        return None
    structure = await catalog.get_version_structure(session, version_id)
    module = next(
        (m for m in (structure.modules if structure else ()) if m.lineage_id == module_lineage_id),
        None,
    )
    if module is None:
        return None
    return await _award(
        session, user_id, MODULE, module_lineage_id, course_id, version_id, module.title,
        completed_at,
    )  # fmt: skip


async def on_course_completed(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    completed_at: datetime,
) -> uuid.UUID | None:
    """Award the track badge when the course is a track and its version's rule says so."""
    rule = await repo.rule_for_version(session, version_id)
    if rule is None or not rule.track_badge:
        return None
    return await award_track(session, user_id, course_id, version_id, completed_at)


async def award_track(
    session: AsyncSession,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    completed_at: datetime,
) -> uuid.UUID | None:
    """Award the track badge of a course that is a track (once; ``None`` if held already)."""
    return await _award(
        session, user_id, TRACK, course_id, course_id, version_id, None, completed_at
    )


async def _award(
    session: AsyncSession,
    user_id: uuid.UUID,
    kind: str,
    subject_id: uuid.UUID,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    name: str | None,
    at: datetime,
) -> uuid.UUID | None:
    course = await catalog.get_course_summary(session, course_id)
    if course is None or (kind == TRACK and course.track_slug is None):
        return None
    user = await identity.get_user_summary(session, user_id)
    if user is None:
        return None
    badge_id = new_id()
    badge_name = (name if name is not None else f"{course.title} track")[:500]
    inserted = await badge_repo.insert(
        session,
        {
            "id": badge_id,
            "user_id": user_id,
            "kind": kind,
            "subject_id": subject_id,
            "course_id": course_id,
            "version_id": version_id,
            "name": badge_name,
            "course_title": course.title[:500],
            "learner_email": user.email,
            "issued_at": at,
        },
    )
    if not inserted:
        return None
    await publish(
        session,
        events.BadgeIssued(
            badge_id=badge_id,
            user_id=user_id,
            course_id=course_id,
            kind=kind,
            subject_id=subject_id,
            title=badge_name,
            issued_at=at,
        ),
    )
    return badge_id


async def own(session: AsyncSession, principal: Principal, badge_id: uuid.UUID) -> Badge:
    """The caller's badge; anyone else's is the same 404 as an unknown one."""
    row = await badge_repo.get(session, badge_id)
    if row is None or row.user_id != principal.user_id:
        raise BadgeNotFound()
    return row


async def list_mine(
    session: AsyncSession, principal: Principal, limit: int, offset: int
) -> tuple[list[BadgeRecord], int]:
    rows, total = await badge_repo.list_for_user(session, principal.user_id, limit, offset)
    return [BadgeRecord.of(r) for r in rows], total

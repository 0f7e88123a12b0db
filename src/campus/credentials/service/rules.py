"""Certificate rules of a course version (staff of the course)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.credentials import policies
from campus.credentials.repository import certificates as repo
from campus.kernel.auth import Principal
from campus.kernel.errors import Forbidden, NotFound, field_error


@dataclass(frozen=True, slots=True)
class RuleRecord:
    course_id: uuid.UUID
    version_id: uuid.UUID
    awards: bool
    min_average_quiz_score: int | None
    required_item_ids: tuple[uuid.UUID, ...]
    manual_approval: bool
    template_id: uuid.UUID | None
    valid_months: int | None
    badge_module_ids: tuple[uuid.UUID, ...] = ()
    track_badge: bool = False


async def set_rule(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    *,
    awards: bool,
    min_average_quiz_score: int | None,
    required_item_ids: list[uuid.UUID],
    manual_approval: bool,
    template_id: uuid.UUID | None,
    valid_months: int | None,
    badge_module_ids: list[uuid.UUID] | None = None,
    track_badge: bool = False,
) -> RuleRecord:
    structure = await catalog.get_version_structure(session, version_id)
    if structure is None or structure.course_id != course_id:
        raise NotFound(code="version_not_found", message="No such version of this course.")
    if not await policies.is_course_staff(session, principal, course_id):
        raise Forbidden()
    if template_id is not None and await repo.get_template(session, template_id) is None:
        raise field_error("templateId", "No such template.", "template_not_found")
    modules = list(dict.fromkeys(badge_module_ids or ()))
    known = {m.lineage_id for m in structure.modules}
    if any(m not in known for m in modules):
        raise field_error("badgeModuleIds", "Not a module of this version.", "module_not_found")
    if track_badge:
        course = await catalog.get_course_summary(session, course_id)
        if course is None or course.track_slug is None:
            raise field_error("trackBadge", "This course is not a track.", "not_a_track")
    await repo.upsert_rule(
        session,
        {
            "course_id": course_id,
            "version_id": version_id,
            "awards": awards,
            "min_average_quiz_score": min_average_quiz_score,
            "required_item_ids": [str(i) for i in required_item_ids],
            "manual_approval": manual_approval,
            "template_id": template_id,
            "valid_months": valid_months,
            "badge_module_ids": [str(m) for m in modules],
            "track_badge": track_badge,
        },
    )
    return RuleRecord(
        course_id,
        version_id,
        awards,
        min_average_quiz_score,
        tuple(required_item_ids),
        manual_approval,
        template_id,
        valid_months,
        tuple(modules),
        track_badge,
    )

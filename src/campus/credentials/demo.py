"""Credentials' demo data (idempotent): a template in English and French, the certificate of
the demo course Maria completed (Python), Kenji's certificate of the same course, revoked
as issued in error, and Maria's badge of the Python track."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.config import Settings
from campus.credentials.models import CertificateTemplate
from campus.credentials.repository import certificates as repo
from campus.credentials.service import awards, certificates, issuance
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.module import SeedState
from campus.learning import api as learning

DEMO_TEMPLATE = "Campus classic"
DEMO_COURSE = "python-programming"


async def _template(session: AsyncSession, owner: uuid.UUID) -> uuid.UUID:
    found = await session.scalar(
        sa.select(CertificateTemplate.id).where(CertificateTemplate.name == DEMO_TEMPLATE)
    )
    if found is not None:
        return found
    now = utcnow()
    row = CertificateTemplate(
        id=new_id(),
        name=DEMO_TEMPLATE,
        owner_id=owner,
        course_id=None,
        orientation="landscape",
        page_size="A4",
        colours={"primary": "#1f3a5f", "text": "#222222", "accent": "#c9a227"},
        texts={
            "en": {
                "title": "Certificate of Completion",
                "body": "This certifies that {learner_name} has completed {course_title} "
                "on {completion_date} ({hours} hours).",
            },
            "fr": {
                "title": "Certificat de réussite",
                "body": "Nous certifions que {learner_name} a terminé {course_title} le "
                "{completion_date} ({hours} heures).",
            },
        },
        default_language="en",
        signers=[{"name": "Grace Hopper", "title": "Campus"}],
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row.id


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    admin = state.user_ids.get("admin@campus.example")
    if admin is None:
        return
    template_id = await _template(session, admin)
    slugs = await catalog.find_course_ids_by_slugs(session, {DEMO_COURSE})
    course_id = slugs.get(DEMO_COURSE)
    course = None if course_id is None else await catalog.get_course_summary(session, course_id)
    if course is None or course.current_version_id is None:
        return
    terms = issuance.Terms(True, None, (), False, template_id, None)
    for email, revoke in (("maria@campus.example", False), ("kenji@campus.example", True)):
        user_id = state.user_ids.get(email)
        if user_id is None:
            continue
        enrollment = await learning.get_enrollment(session, user_id, course.id)
        version_id = enrollment.version_id if enrollment else course.current_version_id
        if await repo.for_user_version(session, user_id, version_id) is not None:
            continue
        completed = (enrollment.completed_at if enrollment else None) or utcnow()
        if not revoke:
            await awards.award_track(session, user_id, course.id, version_id, completed)
        created = await issuance.create(
            session, settings, course, user_id, version_id, completed, terms, {"score": None}
        )
        if created is not None and revoke:
            await certificates.revoke(session, None, created, "Issued in error (demo)")

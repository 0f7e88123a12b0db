"""Credentials' demo data: a template (idempotent)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.credentials.models import CertificateTemplate
from campus.kernel.clock import utcnow
from campus.kernel.ids import new_id
from campus.kernel.module import SeedState

DEMO_TEMPLATE = "Campus classic"


async def seed_step(session: AsyncSession, settings: Settings, state: SeedState) -> None:
    found = await session.scalar(
        sa.select(CertificateTemplate.id).where(CertificateTemplate.name == DEMO_TEMPLATE)
    )
    if found is not None or not state.user_ids:
        return
    owner = next(iter(state.user_ids.values()))
    now = utcnow()
    session.add(
        CertificateTemplate(
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
            signers=[{"name": "Campus", "title": "Issuer"}],
            created_at=now,
            updated_at=now,
        )
    )
    await session.flush()

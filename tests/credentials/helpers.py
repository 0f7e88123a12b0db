"""Completing courses and reading certificates in credentials' tests."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from httpx import AsyncClient

from campus.credentials.models import Certificate
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.catalog import API, Cast
from tests.fixtures.identity import AppUser
from tests.fixtures.learning import Course, LearningFactory, ModuleSpec, text


@dataclass
class Completion:
    cast: Cast
    course: Course
    learner: AppUser


async def published_course(learning: LearningFactory, **fields: Any) -> tuple[Cast, Course]:
    cast = await learning.cast()
    course = await learning.course(
        cast.owner, cast.admin, [ModuleSpec([text(), text()])], hasCertificate=True, **fields
    )
    return cast, course


async def complete(
    learning: LearningFactory, relay: Relay, course: Course, learner: AppUser
) -> None:
    await learning.enroll(learner, course)
    for lesson_id in course.lesson_ids:
        response = await learning.complete(learner, lesson_id)
        assert response.status_code == 200, response.text
    await relay.drain()


async def set_rule(
    client: AsyncClient, who: AppUser, course: Course, **body: Any
) -> dict[str, Any]:
    url = f"{API}/courses/{course.id}/versions/{course.version_id}/certificate-rule"
    response = await client.put(url, json=body, headers=who.headers)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


async def certificates_of(db: Database, user_id: uuid.UUID) -> list[Certificate]:
    async with db.read_session() as session:
        rows = list(
            (await session.execute(sa.select(Certificate).where(Certificate.user_id == user_id)))
            .scalars()
            .all()
        )
        session.expunge_all()
        return rows


async def my_certificates(client: AsyncClient, learner: AppUser) -> list[dict[str, Any]]:
    response = await client.get(f"{API}/certificates", headers=learner.headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def credential_events(learning: LearningFactory) -> list[str]:
    """The events credentials published (its jobs share the outbox and are left out)."""
    return [
        n
        for n in await learning.event_names("credentials.certificate_")
        if n != "credentials.render_certificate"
    ]

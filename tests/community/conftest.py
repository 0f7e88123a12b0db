"""Community test fixtures: the cast of the access matrix and forum helpers."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from httpx import AsyncClient, Response

from campus.catalog import api as catalog_api
from campus.community.data import COMMUNITY_MODERATE
from campus.kernel.auth import Principal
from campus.kernel.db import Database
from campus.kernel.outbox import OutboxMessage
from campus.learning import api as learning_api
from tests.fixtures.catalog import API, CatalogFactory, catalog, direct_course, ok_object, principal
from tests.fixtures.identity import AppUser, IdentityFactory, identity
from tests.fixtures.learning import LearningFactory, learning

__all__ = ["catalog", "identity", "learning"]

FORUMS = f"{API}/forums"


@dataclass
class People:
    """Everyone the forum's access rules distinguish (``anonymous`` is ``None``)."""

    learner: AppUser
    outsider: AppUser  # signed in, not enrolled
    other_learner: AppUser  # enrolled in the other course only
    instructor: AppUser
    other_instructor: AppUser
    course_moderator: AppUser
    moderator: AppUser  # the platform-wide moderator role
    admin: AppUser
    course_id: str
    other_course_id: str
    lesson_id: str

    ROLES = (
        "anonymous",
        "outsider",
        "learner",
        "other_learner",
        "instructor",
        "other_instructor",
        "course_moderator",
        "moderator",
        "admin",
    )

    def by_role(self, role: str) -> AppUser | None:
        return None if role == "anonymous" else getattr(self, role)


class ForumFactory:
    def __init__(
        self,
        app: FastAPI,
        client: AsyncClient,
        identity: IdentityFactory,
        catalog: CatalogFactory,
        learning: LearningFactory,
    ) -> None:
        self.app = app
        self.client = client
        self.identity = identity
        self.catalog = catalog
        self.learning = learning
        self.db: Database = app.state.db

    async def people(self) -> People:
        """One course with a learner, its instructor, a course moderator, and everyone else:
        built once per test that needs the matrix."""
        signed = self.identity.signed_in
        instructor = await signed(roles=("instructor",), first_name="Ines")
        other_instructor = await signed(roles=("instructor",), first_name="Omar")
        admin = await signed(roles=("admin",), first_name="Root")
        learner = await signed(first_name="Lena", last_name="Learner")
        outsider = await signed(first_name="Otto")
        other_learner = await signed(first_name="Olga")
        course_moderator = await signed(first_name="Cora")
        moderator = await signed(roles=("moderator",), first_name="Mona")
        async with self.db.session() as session:
            reviewer = principal(admin)
            course_id = await direct_course(session, principal(instructor), reviewer)
            other_id = await direct_course(session, principal(other_instructor), reviewer)
            for user, course in (
                (learner, course_id),
                (course_moderator, course_id),
                (other_learner, other_id),
            ):
                await learning_api.enroll_user(session, user.id, course)
            version_id = await catalog_api.get_current_version_id(session, course_id)
            assert version_id is not None
            structure = await catalog_api.get_version_structure(session, version_id)
            assert structure is not None
            lesson_id = str(structure.lessons[0].id)
        await self.settings(instructor, str(course_id), moderatorIds=[str(course_moderator.id)])
        return People(
            learner=learner,
            outsider=outsider,
            other_learner=other_learner,
            instructor=instructor,
            other_instructor=other_instructor,
            course_moderator=course_moderator,
            moderator=moderator,
            admin=admin,
            course_id=str(course_id),
            other_course_id=str(other_id),
            lesson_id=lesson_id,
        )

    @staticmethod
    def headers(user: AppUser | None) -> dict[str, str]:
        return {} if user is None else user.headers

    async def settings(self, who: AppUser, course_id: str, **body: Any) -> dict[str, Any]:
        response = await self.client.put(
            f"{FORUMS}/courses/{course_id}/settings", json=body, headers=who.headers
        )
        return ok_object(response)

    async def topic_response(self, who: AppUser | None, course_id: str, **body: Any) -> Response:
        payload = {"title": "How do loops work?", "body": "I am **stuck**.", **body}
        return await self.client.post(
            f"{FORUMS}/courses/{course_id}/topics", json=payload, headers=self.headers(who)
        )

    async def topic(self, who: AppUser, course_id: str, **body: Any) -> dict[str, Any]:
        return ok_object(await self.topic_response(who, course_id, **body), 201)

    async def post_response(self, who: AppUser | None, topic_id: str, **body: Any) -> Response:
        payload = {"body": "Try a `for` loop.", **body}
        return await self.client.post(
            f"{FORUMS}/topics/{topic_id}/posts", json=payload, headers=self.headers(who)
        )

    async def post(self, who: AppUser, topic_id: str, **body: Any) -> dict[str, Any]:
        return ok_object(await self.post_response(who, topic_id, **body), 201)

    async def posts(self, who: AppUser | None, topic_id: str, **params: Any) -> dict[str, Any]:
        response = await self.client.get(
            f"{FORUMS}/topics/{topic_id}/posts", params=params, headers=self.headers(who)
        )
        return ok_object(response)

    async def events(self, prefix: str = "community.") -> list[tuple[str, dict[str, Any]]]:
        async with self.db.read_session() as session:
            rows = await session.execute(
                sa.select(OutboxMessage.name, OutboxMessage.payload)
                .where(OutboxMessage.name.like(f"{prefix}%"))
                .order_by(OutboxMessage.created_at, OutboxMessage.id)
            )
            return [(name, dict(payload)) for name, payload in rows]

    async def event_names(self, prefix: str = "community.") -> list[str]:
        return [name for name, _ in await self.events(prefix)]


@pytest.fixture
def forum(
    app: FastAPI,
    client: AsyncClient,
    identity: IdentityFactory,
    catalog: CatalogFactory,
    learning: LearningFactory,
) -> ForumFactory:
    return ForumFactory(app, client, identity, catalog, learning)


def mention(user: AppUser) -> str:
    return f"@[{user.first_name} {user.last_name}]({user.id})"


def new_id() -> str:
    return str(uuid.uuid4())


def as_principal(user: AppUser) -> Principal:
    """The principal a request of ``user`` carries; the moderator role (created by migration
    0018, not a built-in role) holds ``community:moderate``."""
    if user.roles == ("moderator",):
        return Principal(user.id, frozenset(user.roles), frozenset({COMMUNITY_MODERATE}))
    return principal(user)

"""Course staff is one rule everywhere (catalog.policies): the course membership AND the
instructor role, or the power's ``*_any`` permission; never membership alone. Removing a role
takes its powers away at the next token, whoever held it."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any

import pytest
from httpx import AsyncClient
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.service import access
from campus.catalog import api as catalog_api
from campus.coding import policies as coding_policies
from campus.kernel.auth import Principal
from campus.kernel.db import Database
from campus.learning import policies as learning_policies
from tests.fixtures.assessment import QUESTION_BODIES, AssessmentFactory, World
from tests.fixtures.catalog import API, CatalogFactory, ok, principal
from tests.fixtures.identity import AppUser, IdentityFactory


def _staff_requests(world: World) -> list[tuple[str, str, dict[str, Any] | None]]:
    cid = world.course_id
    return [
        ("PATCH", f"/courses/{cid}", {"subtitle": "Edited"}),
        ("GET", f"/authoring/courses/{cid}", None),
        ("POST", f"/courses/{cid}/modules", {"title": "Another module"}),
        ("GET", f"/courses/{cid}/roster", None),
        ("GET", f"/courses/{cid}/gradebook", None),
        ("GET", f"/courses/{cid}/entitlements", None),
        ("POST", f"/courses/{cid}/entitlements", {"userId": str(world.outsider.id)}),
        ("POST", f"/courses/{cid}/questions", QUESTION_BODIES[0]),
        ("POST", f"/courses/{cid}/quizzes", {"title": "Quiz", "questionIds": []}),
    ]


async def _codes(client: AsyncClient, who: AppUser, world: World) -> dict[str, int]:
    codes = {}
    for method, path, body in _staff_requests(world):
        response = await client.request(method, f"{API}{path}", json=body, headers=who.headers)
        codes[f"{method} {path.replace(world.course_id, '{id}')}"] = response.status_code
    return codes


async def _remove_role(
    client: AsyncClient,
    identity: IdentityFactory,
    catalog: CatalogFactory,
    user: AppUser,
    role: str,
) -> None:
    root = await catalog.admin()  # an administrator cannot remove their own admin role
    url = f"{API}/admin/users/{user.id}/roles/{role}"
    assert role not in ok(await client.delete(url, headers=root.headers))["roles"]
    await identity.start_session(user)  # the new token carries the remaining roles


@pytest.mark.parametrize(("who", "role"), [("instructor", "instructor"), ("admin", "admin")])
async def test_staff_who_lost_their_role_lose_every_staff_power_on_the_course(
    assessment: AssessmentFactory,
    catalog: CatalogFactory,
    identity: IdentityFactory,
    client: AsyncClient,
    who: str,
    role: str,
) -> None:
    world = await assessment.world()
    subject: AppUser = getattr(world, who)
    before = await _codes(client, subject, world)
    assert all(200 <= code < 300 for code in before.values()), before

    await _remove_role(client, identity, catalog, subject, role)
    after = await _codes(client, subject, world)
    # The course is published, so it stays visible: every staff action is a 403.
    assert after == dict.fromkeys(after, 403), after


async def test_an_instructor_who_lost_the_role_but_is_an_admin_keeps_the_any_powers(
    assessment: AssessmentFactory,
    catalog: CatalogFactory,
    identity: IdentityFactory,
    client: AsyncClient,
) -> None:
    world = await assessment.world()
    root = await catalog.admin()
    url = f"{API}/admin/users/{world.instructor.id}/roles"
    ok(await client.post(url, json={"role": "admin"}, headers=root.headers))
    await _remove_role(client, identity, catalog, world.instructor, "instructor")
    after = await _codes(client, world.instructor, world)
    assert all(200 <= code < 300 for code in after.values()), after


async def test_a_learner_powers_do_not_depend_on_a_role_they_never_needed(
    assessment: AssessmentFactory,
    catalog: CatalogFactory,
    identity: IdentityFactory,
    client: AsyncClient,
) -> None:
    world = await assessment.world()
    mine = f"{API}/courses/{world.course_id}/gradebook/me"
    for step in ("before", "after"):
        if step == "after":
            await _remove_role(client, identity, catalog, world.learner, "student")
        assert (await client.get(mine, headers=world.learner.headers)).status_code == 200, step
        codes = await _codes(client, world.learner, world)
        assert codes == dict.fromkeys(codes, 403), (step, codes)


async def _catalog_staff(s: AsyncSession, p: Principal, *, course_id: uuid.UUID) -> bool:
    return await catalog_api.is_course_staff(s, p, course_id)


async def _assessment_staff(
    s: AsyncSession, p: Principal, *, course_id: uuid.UUID, grading: bool
) -> bool:
    return await access.is_staff(s, p, course_id, grading=grading)


async def _coding_staff(
    s: AsyncSession, p: Principal, *, course_id: uuid.UUID, grading: bool
) -> bool:
    return await coding_policies.is_staff(s, p, course_id, grading=grading)


async def _learning_staff(s: AsyncSession, p: Principal, *, course_id: uuid.UUID) -> bool:
    return await learning_policies.is_course_staff(s, p, course_id)


async def _learning_grant(s: AsyncSession, p: Principal, *, course_id: uuid.UUID) -> bool:
    return await learning_policies.can_grant(s, p, course_id)


async def test_every_context_asks_the_same_rule(
    assessment: AssessmentFactory, db: Database
) -> None:
    world = await assessment.world()
    course_id = uuid.UUID(world.course_id)
    teacher = principal(world.instructor)
    member_without_role = Principal(world.instructor.id, frozenset({"student"}), frozenset())
    admin = principal(world.admin)
    outsider = principal(world.other_instructor)
    checks: dict[str, Callable[[AsyncSession, Principal], Awaitable[bool]]] = {
        "catalog": partial(_catalog_staff, course_id=course_id),
        "assessment authoring": partial(_assessment_staff, course_id=course_id, grading=False),
        "assessment grading": partial(_assessment_staff, course_id=course_id, grading=True),
        "coding authoring": partial(_coding_staff, course_id=course_id, grading=False),
        "coding grading": partial(_coding_staff, course_id=course_id, grading=True),
        "learning staff": partial(_learning_staff, course_id=course_id),
        "learning grant": partial(_learning_grant, course_id=course_id),
    }
    async with db.session() as session:
        for name, check in checks.items():
            assert await check(session, teacher) is True, name
            assert await check(session, member_without_role) is False, name
            assert await check(session, outsider) is False, name
            if name != "catalog":  # catalog's own question names no *_any permission
                assert await check(session, admin) is True, name

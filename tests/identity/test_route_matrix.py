"""AC-01: every identity route x (anonymous, student, another student, instructor, admin).

The table below must name every identity route of the app (``test_every_identity_route_...``
fails when a route is added without expectations). Each route runs against a fresh set of
users; for object routes another user's object is a 404; a denied call changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from httpx import AsyncClient

from campus.identity import models
from campus.kernel.db import Database
from campus.kernel.outbox import OutboxMessage
from tests.fixtures.identity import DEFAULT_PASSWORD, AppUser, IdentityFactory

ROLES = ("anonymous", "other_student", "instructor", "admin", "student")  # call order


@dataclass
class World:
    student: AppUser
    other_student: AppUser
    instructor: AppUser
    admin: AppUser
    subject: AppUser  # the user admin routes act on

    def caller(self, role: str) -> AppUser | None:
        return None if role == "anonymous" else getattr(self, role)


Body = Callable[[World, str], dict[str, Any] | None]


@dataclass(frozen=True)
class Case:
    expect: dict[str, int]
    body: Body = lambda w, r: None
    params: dict[str, Callable[[World], str]] = field(default_factory=dict)


def everyone(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int) -> dict[str, int]:
    return {**everyone(status), "anonymous": 401}


ADMIN_ONLY = {
    "anonymous": 401,
    "student": 403,
    "other_student": 403,
    "instructor": 403,
    "admin": 200,
}
SUBJECT = {"user_id": lambda w: str(w.subject.id)}
#: An organization id nobody has (the subject's user id: unique to each run, never an org's).
NO_ORG = {"org_id": lambda w: str(w.subject.id)}
NEW = "brand-new-passphrase-77"


def email_for(role: str, tag: str) -> str:
    return f"{tag}-{role.replace('_', '-')}@matrix.example.org"


CASES: dict[tuple[str, str], Case] = {
    ("POST", "/api/v1/auth/register"): Case(
        everyone(202),
        lambda w, r: {
            "firstName": "Matrix",
            "lastName": "Caller",
            "email": email_for(r, "register"),
            "password": NEW,
        },
    ),
    ("POST", "/api/v1/auth/login"): Case(
        everyone(200), lambda w, r: {"email": w.student.email, "password": DEFAULT_PASSWORD}
    ),
    ("POST", "/api/v1/auth/mfa/verify"): Case(
        everyone(401), lambda w, r: {"mfaToken": "not.a.token", "code": "123456"}
    ),
    ("POST", "/api/v1/auth/refresh"): Case(
        signed_in(200),
        lambda w, r: (
            {"refreshToken": (w.caller(r) or w.student).refresh_token} if r != "anonymous" else None
        ),
    ),
    ("POST", "/api/v1/auth/logout"): Case(signed_in(200)),
    ("POST", "/api/v1/auth/logout-all"): Case(signed_in(200)),
    ("POST", "/api/v1/auth/email/verify"): Case(everyone(400), lambda w, r: {"token": "z" * 43}),
    ("POST", "/api/v1/auth/email/resend"): Case(
        everyone(202), lambda w, r: {"email": email_for(r, "resend")}
    ),
    ("POST", "/api/v1/auth/email/confirm"): Case(everyone(400), lambda w, r: {"token": "z" * 43}),
    ("POST", "/api/v1/auth/password/forgot"): Case(
        everyone(202), lambda w, r: {"email": email_for(r, "forgot")}
    ),
    ("POST", "/api/v1/auth/password/reset"): Case(
        everyone(400), lambda w, r: {"token": "z" * 43, "newPassword": NEW}
    ),
    ("GET", "/api/v1/users/me"): Case(signed_in(200)),
    ("PATCH", "/api/v1/users/me"): Case(
        signed_in(200), lambda w, r: {"profile": {"location": "Matrix City"}}
    ),
    ("POST", "/api/v1/users/me/password"): Case(
        signed_in(200), lambda w, r: {"currentPassword": DEFAULT_PASSWORD, "newPassword": NEW}
    ),
    ("POST", "/api/v1/users/me/email"): Case(
        signed_in(202),
        lambda w, r: {"currentPassword": DEFAULT_PASSWORD, "newEmail": email_for(r, "move")},
    ),
    ("GET", "/api/v1/users/me/sessions"): Case(signed_in(200)),
    ("DELETE", "/api/v1/users/me/sessions/{session_id}"): Case(
        {"anonymous": 401, "other_student": 404, "instructor": 404, "admin": 404, "student": 200},
        params={"session_id": lambda w: str(w.student.session_id)},
    ),
    ("POST", "/api/v1/users/me/mfa/setup"): Case(
        signed_in(200), lambda w, r: {"currentPassword": DEFAULT_PASSWORD}
    ),
    ("POST", "/api/v1/users/me/mfa/confirm"): Case(signed_in(409), lambda w, r: {"code": "123456"}),
    ("POST", "/api/v1/users/me/mfa/disable"): Case(
        signed_in(409), lambda w, r: {"currentPassword": DEFAULT_PASSWORD, "code": "123456"}
    ),
    ("PATCH", "/api/v1/users/me/instructor-profile"): Case(
        {"anonymous": 401, "student": 403, "other_student": 403, "instructor": 200, "admin": 403},
        lambda w, r: {"headline": "Matrix headline"},
    ),
    ("GET", "/api/v1/admin/users"): Case(ADMIN_ONLY),
    ("GET", "/api/v1/admin/users/{user_id}"): Case(ADMIN_ONLY, params=SUBJECT),
    ("POST", "/api/v1/admin/users/{user_id}/roles"): Case(
        ADMIN_ONLY, lambda w, r: {"role": "instructor"}, params=SUBJECT
    ),
    ("DELETE", "/api/v1/admin/users/{user_id}/roles/{role}"): Case(
        ADMIN_ONLY, params={**SUBJECT, "role": lambda w: "consultant"}
    ),
    ("POST", "/api/v1/admin/users/{user_id}/deactivate"): Case(ADMIN_ONLY, params=SUBJECT),
    ("POST", "/api/v1/admin/users/{user_id}/reactivate"): Case(ADMIN_ONLY, params=SUBJECT),
    ("GET", "/api/v1/instructors"): Case(everyone(200)),
    ("GET", "/api/v1/instructors/{user_id}"): Case(
        everyone(200), params={"user_id": lambda w: str(w.instructor.id)}
    ),
    # Organizations: the matrix with members of real organizations is in
    # test_organizations_access.py; here one that does not exist is a 404 to everyone signed in.
    ("POST", "/api/v1/organizations"): Case(
        {**ADMIN_ONLY, "admin": 201}, lambda w, r: {"name": "Matrix Inc", "slug": "matrix"}
    ),
    ("GET", "/api/v1/organizations"): Case(ADMIN_ONLY),
    ("GET", "/api/v1/users/me/organizations"): Case(signed_in(200)),
    ("POST", "/api/v1/organizations/invitations/accept"): Case(
        signed_in(400), lambda w, r: {"token": "z" * 43}
    ),
    ("GET", "/api/v1/organizations/{org_id}"): Case(signed_in(404), params=NO_ORG),
    ("PATCH", "/api/v1/organizations/{org_id}"): Case(
        signed_in(404), lambda w, r: {"name": "Renamed"}, params=NO_ORG
    ),
    ("DELETE", "/api/v1/organizations/{org_id}"): Case(signed_in(404), params=NO_ORG),
    ("GET", "/api/v1/organizations/{org_id}/members"): Case(signed_in(404), params=NO_ORG),
    ("GET", "/api/v1/organizations/{org_id}/members/{user_id}"): Case(
        signed_in(404), params={**NO_ORG, **SUBJECT}
    ),
    ("PATCH", "/api/v1/organizations/{org_id}/members/{user_id}"): Case(
        signed_in(404), lambda w, r: {"role": "manager"}, params={**NO_ORG, **SUBJECT}
    ),
    ("DELETE", "/api/v1/organizations/{org_id}/members/{user_id}"): Case(
        signed_in(404), params={**NO_ORG, **SUBJECT}
    ),
    ("POST", "/api/v1/organizations/{org_id}/invitations"): Case(
        signed_in(404), lambda w, r: {"email": email_for(r, "invite")}, params=NO_ORG
    ),
    ("GET", "/api/v1/organizations/{org_id}/invitations"): Case(signed_in(404), params=NO_ORG),
    ("DELETE", "/api/v1/organizations/{org_id}/invitations/{invitation_id}"): Case(
        signed_in(404), params={**NO_ORG, "invitation_id": lambda w: str(w.subject.id)}
    ),
}


def identity_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every /api/v1 route whose handler lives in campus.identity (walks
    included routers: FastAPI nests them in ``app.routes``)."""
    found = set()
    for route in iter_route_contexts(app.routes):
        endpoint = route.endpoint
        if (
            isinstance(route.original_route, APIRoute)
            and route.path
            and route.path.startswith("/api/v1")
            and endpoint is not None
            and endpoint.__module__.startswith("campus.identity")
        ):
            found |= {(method, route.path) for method in route.methods or ()}
    return found


def test_every_identity_route_has_expectations(app: FastAPI) -> None:
    routes = identity_routes(app)
    assert routes, "no identity routes found"
    missing = routes - set(CASES)
    stale = set(CASES) - routes
    assert not missing, f"identity routes without a row in the matrix: {sorted(missing)}"
    assert not stale, f"matrix rows for routes that no longer exist: {sorted(stale)}"


_SNAPSHOT_TABLES = [
    models.User,
    models.UserProfile,
    models.UserSettings,
    models.UserRole,
    models.UserSession,
    models.RefreshToken,
    models.ActionToken,
    models.MfaTotp,
    models.MfaRecoveryCode,
    models.InstructorProfile,
    OutboxMessage,
]


async def snapshot(db: Database) -> list[list[tuple[Any, ...]]]:
    async with db.read_session() as s:
        tables = []
        for model in _SNAPSHOT_TABLES:
            rows = (await s.execute(sa.select(sa.inspect(model).local_table))).all()
            tables.append(sorted((tuple(r) for r in rows), key=repr))
        return tables


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
async def test_route_answers_each_role_as_expected(
    client: AsyncClient, identity: IdentityFactory, db: Database, route: tuple[str, str]
) -> None:
    method, template = route
    case = CASES[route]
    world = World(
        student=await identity.signed_in(),
        other_student=await identity.signed_in(),
        instructor=await identity.signed_in(roles=("instructor",)),
        admin=await identity.signed_in(roles=("admin",)),
        subject=await identity.user(roles=("student", "consultant")),
    )
    path = template.format(**{name: make(world) for name, make in case.params.items()})
    for role in ROLES:
        caller = world.caller(role)
        headers = caller.headers if caller else {}
        body = case.body(world, role)
        before = await snapshot(db)
        response = await client.request(method, path, json=body, headers=headers)
        expected = case.expect[role]
        assert response.status_code == expected, (role, response.text)
        assert response.status_code != 500
        if response.status_code >= 400:
            body_json = response.json()
            assert body_json["success"] is False
            assert body_json["error"]["code"]
            assert await snapshot(db) == before, f"{role}: a denied call changed data"

"""Unverified email addresses (issue 12): by default an unverified user may sign in, but
enrolling and submitting work answer 403 ``email_unverified`` until the address is verified
(``CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR``); verifying takes effect at the next request."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from campus.assessment.data import AssessmentKind
from campus.assessment.service import attempts
from campus.assessment.service import submissions as assignment_submissions
from campus.coding.runners.engine import GradingEngine
from campus.coding.schemas.submissions import CodeIn
from campus.coding.service import submissions as code_submissions
from campus.config import Settings
from campus.identity.settings import IdentitySettings
from campus.kernel.auth import Principal
from campus.kernel.db import Database
from campus.kernel.errors import Forbidden
from campus.kernel.jobs import Relay
from campus.kernel.ratelimit import RateLimiter
from campus.learning.service import enrollments
from campus.sandbox import RunReport, SandboxLimits, TestCase
from tests.fixtures.catalog import catalog  # noqa: F401
from tests.fixtures.identity import IdentityFactory, latest_email, token_in
from tests.fixtures.learning import LearningFactory, learning  # noqa: F401

ME = "/api/v1/users/me"


def test_the_default_reserves_enrolling_and_submitting(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert IdentitySettings.of(settings).require_verified_email_for == {"enroll", "submit"}
    monkeypatch.setenv("CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR", "login, Enroll")
    assert IdentitySettings().require_verified_email_for == {"login", "enroll"}
    monkeypatch.setenv("CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR", "")
    assert IdentitySettings().require_verified_email_for == frozenset()
    monkeypatch.setenv("CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR", "none")
    assert IdentitySettings().require_verified_email_for == frozenset()
    monkeypatch.setenv("CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR", "login,teleport")
    with pytest.raises(ValueError, match="unknown action"):
        IdentitySettings()


async def test_an_unverified_learner_signs_in_but_enrolls_only_once_verified(
    client: AsyncClient,
    identity: IdentityFactory,
    learning: LearningFactory,  # noqa: F811
    relay: Relay,
    settings: Settings,
) -> None:
    cast = await learning.cast()
    course = await learning.course(cast.owner, cast.admin)
    learner = await identity.user(verified=False)
    await identity.login(learner)  # signing in is allowed by default
    me = await client.get(ME, headers=learner.headers)
    assert me.status_code == 200
    assert me.json()["emailVerified"] is False

    refused = await learning.enroll_response(learner, course.id)
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "email_unverified"
    assert refused.json()["error"]["details"] == {"action": "enroll"}

    # The resend flow from the API, then the link: the same access token now enrolls.
    assert (
        await client.post("/api/v1/auth/email/resend", json={"email": learner.email})
    ).status_code == 202
    token = token_in(await latest_email(relay, settings, learner.email), "verify-email")
    assert (
        await client.post("/api/v1/auth/email/verify", json={"token": token})
    ).status_code == 200
    enrolled = await learning.enroll_response(learner, course.id)
    assert enrolled.status_code == 201, enrolled.text


async def test_the_verifier_tells_services_whether_the_email_is_verified(
    app: FastAPI, identity: IdentityFactory, db: Database
) -> None:
    unverified = await identity.signed_in(verified=False)
    verified = await identity.signed_in()
    async with db.read_session() as session:
        first = await app.state.token_verifier(session, unverified.access_token)
        second = await app.state.token_verifier(session, verified.access_token)
    assert (first.email_verified, second.email_verified) == (False, True)
    assert first.verified_email_required_for == {"enroll", "submit"}


class _NeverRuns:
    """A runner the services never reach: the verified-email check comes first."""

    async def run(
        self, language: str, source: str, tests: Sequence[TestCase], limits: SandboxLimits
    ) -> RunReport:
        raise AssertionError("the caller's email is checked before any code runs")


_ENGINE = GradingEngine("local", _NeverRuns(), None)


def _calls() -> dict[str, Callable[[Any, Principal], Awaitable[object]]]:
    some = uuid.uuid4()
    return {
        "enroll": lambda s, p: enrollments.enroll(s, p, some, None),
        "quiz attempt": lambda s, p: attempts.start_attempt(s, p, some, 0),
        "assignment submission": lambda s, p: assignment_submissions.start(
            s, p, some, AssessmentKind.ASSIGNMENT, None, 0
        ),
        "exam submission": lambda s, p: assignment_submissions.start(
            s, p, some, AssessmentKind.EXAM, None, 0
        ),
        "hand in": lambda s, p: assignment_submissions.hand_in(s, p, some, 0),
        "code submission": lambda s, p: code_submissions.submit(
            s, p, some, CodeIn(code="print(1)"), _ENGINE, RateLimiter(), None
        ),
    }


@pytest.mark.parametrize("what", list(_calls()))
async def test_services_refuse_an_unverified_caller_before_anything_else(
    db: Database, what: str
) -> None:
    """AC-06: the rule lives in the services, whatever route (or job) calls them."""
    principal = Principal(
        uuid.uuid4(),
        frozenset({"student"}),
        email_verified=False,
        verified_email_required_for=frozenset({"enroll", "submit"}),
    )
    async with db.session() as session:
        with pytest.raises(Forbidden) as refused:
            await _calls()[what](session, principal)
    assert refused.value.code == "email_unverified"


async def test_the_platform_may_also_reserve_signing_in(
    app: FastAPI, client: AsyncClient, identity: IdentityFactory
) -> None:
    unverified = await identity.user(verified=False)
    verified = await identity.user()
    original = app.state.settings
    app.state.settings = original.replace(
        require_verified_email_for=frozenset({"login", "enroll", "submit"})
    )
    try:
        refused = await client.post(
            "/api/v1/auth/login", json={"email": unverified.email, "password": unverified.password}
        )
        allowed = await client.post(
            "/api/v1/auth/login", json={"email": verified.email, "password": verified.password}
        )
        wrong = await client.post(
            "/api/v1/auth/login", json={"email": unverified.email, "password": "not-it-at-all-9"}
        )
    finally:
        app.state.settings = original
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "email_unverified"
    assert allowed.status_code == 200
    assert wrong.status_code == 401  # a wrong password still says only that

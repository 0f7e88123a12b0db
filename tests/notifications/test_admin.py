"""Admin and provider callbacks: delivery logs with filters, statistics, a test send to
oneself; the email provider's webhook needs a valid signature (a bad one changes nothing), a
hard bounce stops email to that address."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

import pytest
from httpx import AsyncClient
from pydantic import SecretStr

from campus.community.events import SolutionAccepted
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import IdentityFactory
from tests.notifications.helpers import deliveries_of, emit

SECRET = "webhook-secret-for-tests-0123456789"
HOOK = "/api/v1/notifications/webhooks/email"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.replace(notifications_webhook_secret=SecretStr(SECRET))


def signed(body: dict[str, object], secret: str = SECRET) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    mac = hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()
    return raw, {"X-Campus-Signature": f"sha256={mac}", "Content-Type": "application/json"}


def solution(user_id: uuid.UUID) -> SolutionAccepted:
    return SolutionAccepted(
        topic_id=uuid.uuid4(),
        post_id=uuid.uuid4(),
        course_id=None,
        topic_title="Async",
        post_author_id=user_id,
        accepted_by=uuid.uuid4(),
        accepted_at=utcnow(),
    )


async def test_logs_stats_and_status_callbacks_with_signatures_and_bounces(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    admin = await identity.signed_in(roles=("admin",))
    learner = await identity.user()
    await emit(db, solution(learner.id))
    await relay.drain()
    [email] = await deliveries_of(db, learner.id, "email")
    assert email.status == "sent"
    assert email.provider_message_id == f"{email.id}@campus.local"

    logs = await client.get(
        f"/api/v1/notifications/admin/deliveries?userId={learner.id}&channel=email",
        headers=admin.headers,
    )
    assert logs.status_code == 200
    assert [d["id"] for d in logs.json()["items"]] == [str(email.id)]
    assert logs.json()["items"][0]["templateVersion"] == 0
    none = await client.get(
        "/api/v1/notifications/admin/deliveries?status=failed", headers=admin.headers
    )
    assert none.json()["total"] == 0

    event = {"messageId": email.provider_message_id, "event": "bounce", "hard": True}
    raw, headers = signed(event, secret="not-the-secret")
    forged = await client.post(HOOK, content=raw, headers=headers)
    assert forged.status_code == 401
    unsigned = await client.post(HOOK, json=event)
    assert unsigned.status_code == 401
    assert (await deliveries_of(db, learner.id, "email"))[0].status == "sent"

    raw, headers = signed({"messageId": email.provider_message_id, "event": "delivered"})
    assert (await client.post(HOOK, content=raw, headers=headers)).json() == {"applied": True}
    raw, headers = signed(event)
    assert (await client.post(HOOK, content=raw, headers=headers)).json() == {"applied": True}
    [email] = await deliveries_of(db, learner.id, "email")
    assert email.status == "bounced"

    # The address bounced hard: the next notification does not email it any more.
    await emit(db, solution(learner.id))
    await relay.drain()
    assert len(await deliveries_of(db, learner.id, "email")) == 1
    assert len(await deliveries_of(db, learner.id, "in_app")) == 3  # welcome and two solutions

    stats = await client.get("/api/v1/notifications/admin/stats", headers=admin.headers)
    assert stats.json()["channels"]["email"] == {"bounced": 1}


async def test_an_admin_test_send_reaches_only_the_admin(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    admin = await identity.signed_in(roles=("admin",))
    sent = await client.post(
        "/api/v1/notifications/admin/test-send",
        json={"typeCode": "community.review_approved"},
        headers=admin.headers,
    )
    assert sent.status_code == 200, sent.text
    await relay.drain()
    inbox = (await client.get("/api/v1/notifications", headers=admin.headers)).json()["items"]
    assert "Your [rating]-star review is now published." in [i["body"] for i in inbox]
    unknown = await client.post(
        "/api/v1/notifications/admin/test-send", json={"typeCode": "nope"}, headers=admin.headers
    )
    assert unknown.status_code == 404

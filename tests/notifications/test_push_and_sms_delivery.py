"""Web push and SMS in the pipeline: a browser registered through the API receives the
notification from the local push service double (decrypted as a browser would), a
subscription the push service says is gone is removed, and a user with a phone number gets
booking notifications by SMS (sandbox provider)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from httpx import AsyncClient
from pydantic import SecretStr

from campus.booking.events import BookingConfirmed
from campus.community.events import Mentioned
from campus.config import Settings
from campus.kernel.clock import utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.notifications.channels.push import VapidKeyPair, generate_vapid_key_pair
from campus.notifications.channels.sms import twilio_signature
from tests.fixtures.identity import IdentityFactory
from tests.notifications.doubles import PushServiceDouble, serve
from tests.notifications.helpers import deliveries_of, emit

TWILIO_TOKEN = "twilio-auth-token-for-tests"


@pytest.fixture(scope="module")
def keys() -> VapidKeyPair:
    return generate_vapid_key_pair()


@pytest.fixture
async def push_service(keys: VapidKeyPair) -> AsyncIterator[PushServiceDouble]:
    double = PushServiceDouble(application_server_key=keys.application_server_key)
    async with serve(double.app()) as url:
        double.url = url
        yield double


@pytest.fixture
def settings(settings: Settings, keys: VapidKeyPair) -> Settings:
    return settings.replace(
        notifications_push_vapid_private_key=SecretStr(keys.private_key_pem),
        notifications_push_allow_insecure_endpoints=True,
        notifications_twilio_auth_token=SecretStr(TWILIO_TOKEN),
    )


def mentioned(user_id: uuid.UUID) -> Mentioned:
    return Mentioned(
        post_id=uuid.uuid4(),
        topic_id=uuid.uuid4(),
        course_id=None,
        topic_title="Closures",
        author_id=uuid.uuid4(),
        mentioned_user_id=user_id,
        excerpt="What do you think?",
        created_at=utcnow(),
    )


async def test_a_registered_browser_gets_the_push_and_a_gone_one_is_forgotten(
    client: AsyncClient,
    identity: IdentityFactory,
    db: Database,
    relay: Relay,
    push_service: PushServiceDouble,
    keys: VapidKeyPair,
) -> None:
    user = await identity.signed_in()
    key = await client.get("/api/v1/notifications/push/key", headers=user.headers)
    assert key.json() == {"applicationServerKey": keys.application_server_key}
    browser = push_service.subscribe()
    body = {"endpoint": browser.endpoint, "keys": {"p256dh": browser.p256dh, "auth": browser.auth}}
    made = await client.post(
        "/api/v1/notifications/push-subscriptions", json=body, headers=user.headers
    )
    assert made.status_code == 204, made.text
    bad = {**body, "keys": {"p256dh": "AAAA", "auth": browser.auth}}
    refused = await client.post(
        "/api/v1/notifications/push-subscriptions", json=bad, headers=user.headers
    )
    assert refused.status_code == 422

    await emit(db, mentioned(user.id))
    await relay.drain()
    [delivery] = push_service.deliveries
    assert delivery.payload["title"] == "You were mentioned in Closures"
    assert delivery.payload["body"] == "What do you think?"
    [push] = await deliveries_of(db, user.id, "push")
    assert push.status == "sent"

    push_service.expire(browser)
    await emit(db, mentioned(user.id))
    await relay.drain()
    pushes = await deliveries_of(db, user.id, "push")
    assert [p.status for p in pushes] == ["sent", "failed"]
    # The subscription is gone: the next notification has no push delivery at all.
    await emit(db, mentioned(user.id))
    await relay.drain()
    assert len(await deliveries_of(db, user.id, "push")) == 2
    other = await client.post(
        "/api/v1/notifications/push-subscriptions/remove",
        json={"endpoint": browser.endpoint},
        headers=user.headers,
    )
    assert other.status_code == 404


async def test_a_user_with_a_phone_number_gets_booking_notifications_by_sms(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay, settings: Settings
) -> None:
    learner = await identity.signed_in()
    saved = await client.patch(
        "/api/v1/notifications/preferences",
        json={"phone": "+33612345678"},
        headers=learner.headers,
    )
    assert saved.status_code == 200
    assert saved.json()["phone"] == "+33612345678"
    bad = await client.patch(
        "/api/v1/notifications/preferences", json={"phone": "0612"}, headers=learner.headers
    )
    assert bad.status_code == 422
    starts = utcnow() + timedelta(days=2)
    await emit(
        db,
        BookingConfirmed(
            session_id=uuid.uuid4(),
            learner_id=learner.id,
            consultant_user_id=None,
            service_type_id=uuid.uuid4(),
            service_name="Career coaching",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            learner_time_zone="Europe/Paris",
            consultant_time_zone="Europe/Paris",
        ),
    )
    await relay.drain()
    [sms] = await deliveries_of(db, learner.id, "sms")
    assert sms.status == "sent"
    assert sms.address == "+33612345678"
    assert sms.provider_message_id
    assert sms.provider_message_id.startswith("SM")

    # The provider's status callback: a bad signature changes nothing, a good one applies.
    hook = "/api/v1/notifications/webhooks/sms"
    params = {"MessageSid": sms.provider_message_id, "MessageStatus": "delivered"}
    url = settings.base_url.rstrip("/") + hook
    forged = await client.post(
        hook, data=params, headers={"X-Twilio-Signature": twilio_signature(url, params, "nope")}
    )
    assert forged.status_code == 401
    assert (await deliveries_of(db, learner.id, "sms"))[0].status == "sent"
    signed = await client.post(
        hook,
        data=params,
        headers={"X-Twilio-Signature": twilio_signature(url, params, TWILIO_TOKEN)},
    )
    assert signed.status_code == 200, signed.text
    assert signed.json() == {"applied": True}
    assert (await deliveries_of(db, learner.id, "sms"))[0].status == "delivered"

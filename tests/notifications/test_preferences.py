"""Preferences: category x channel switches, quiet hours in the user's time zone (email waits
for the end of the window, the inbox does not), mandatory types ignore opt-outs, and digests:
one per period at the local morning with the batched items, also with two workers."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from httpx import AsyncClient

from campus.commerce.events import OrderPaid
from campus.community.events import ReplyCreated
from campus.config import Settings
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from campus.notifications.service import digests, preferences
from tests.fixtures.identity import IdentityFactory, email_text, read_emails
from tests.notifications.helpers import deliveries_of, emit

PREFS = "/api/v1/notifications/preferences"


def reply(user_id: uuid.UUID, title: str = "Generators") -> ReplyCreated:
    return ReplyCreated(
        post_id=uuid.uuid4(),
        parent_post_id=uuid.uuid4(),
        topic_id=uuid.uuid4(),
        course_id=None,
        topic_title=title,
        author_id=uuid.uuid4(),
        parent_author_id=user_id,
        excerpt="A reply",
        created_at=utcnow(),
    )


def paid(user_id: uuid.UUID) -> OrderPaid:
    return OrderPaid(
        order_id=uuid.uuid4(),
        user_id=user_id,
        currency="EUR",
        subtotal_minor=100,
        discount_minor=0,
        tax_minor=0,
        total_minor=100,
        course_ids=[],
        paid_at=utcnow(),
    )


async def test_preferences_are_read_and_changed_by_their_owner_with_checked_input(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay
) -> None:
    user = await identity.signed_in()
    initial = (await client.get(PREFS, headers=user.headers)).json()
    assert initial["channels"]["community"]["email"] is True
    assert initial["digests"]["community"] == "immediate"
    assert initial["quietHours"] is None
    changed = await client.patch(
        PREFS,
        json={
            "channels": {"community": {"email": False}},
            "digests": {"grades": "weekly"},
            "quietHours": {"start": "22:00", "end": "07:00"},
            "timeZone": "Europe/Paris",
        },
        headers=user.headers,
    )
    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["channels"]["community"] == {
        "in_app": True,
        "email": False,
        "push": True,
        "sms": True,
    }
    assert body["digests"]["grades"] == "weekly"
    assert body["quietHours"] == {"start": "22:00", "end": "07:00"}
    for bad in (
        {"timeZone": "Mars/Olympus"},
        {"quietHours": {"start": "25:00", "end": "07:00"}},
        {"channels": {"gossip": {"email": False}}},
        {"digests": {"community": "hourly"}},
        {"unknown": True},
    ):
        refused = await client.patch(PREFS, json=bad, headers=user.headers)
        assert refused.status_code == 422, bad
    assert (await client.get(PREFS, headers=user.headers)).json() == body
    assert (await client.get(PREFS)).status_code == 401

    # Community email is off: the reply reaches the inbox only; a receipt (mandatory) still
    # goes out by email even with every commerce email switched off.
    await client.patch(
        PREFS,
        json={"channels": {"commerce": {"email": False}}, "quietHours": None},
        headers=user.headers,
    )
    await emit(db, reply(user.id), paid(user.id))
    await relay.drain()
    channels = {(d.type_code, d.channel) for d in await deliveries_of(db, user.id)}
    assert ("community.reply_created", "in_app") in channels
    assert ("community.reply_created", "email") not in channels
    assert ("commerce.order_paid", "email") in channels


async def test_quiet_hours_hold_email_until_the_local_morning_but_not_the_inbox(
    identity: IdentityFactory, db: Database, relay: Relay, frozen_clock: Clock, settings: Settings
) -> None:
    user = await identity.user()
    async with db.session() as session:
        await preferences.update(
            session,
            user.id,
            {"quiet_start": 22 * 60, "quiet_end": 7 * 60, "time_zone": "America/New_York"},
        )
    # 03:30 UTC on 8 March 2026 is 22:30 on the 7th in New York (EST, UTC-5); that night the
    # clocks move forward, so 07:00 local on the 8th is 11:00 UTC (EDT, UTC-4).
    frozen_clock.freeze(datetime(2026, 3, 8, 3, 30, tzinfo=UTC))
    await emit(db, reply(user.id))
    await relay.drain()
    by_channel = {
        d.channel: d for d in await deliveries_of(db, user.id) if d.type_code.startswith("comm")
    }
    assert by_channel["in_app"].status == "sent"
    assert by_channel["email"].status == "pending"
    assert by_channel["email"].send_at == datetime(2026, 3, 8, 11, 0, tzinfo=UTC)
    frozen_clock.freeze(datetime(2026, 3, 8, 10, 59, tzinfo=UTC))
    await relay.drain()
    assert read_emails(settings, user.email) == []
    frozen_clock.freeze(datetime(2026, 3, 8, 11, 0, tzinfo=UTC))
    await relay.drain()
    [mail] = read_emails(settings, user.email)
    assert mail["Subject"] == "New reply in Generators"


async def test_one_daily_digest_per_period_with_the_batched_items_also_with_two_workers(
    client: AsyncClient,
    identity: IdentityFactory,
    db: Database,
    relay: Relay,
    frozen_clock: Clock,
    settings: Settings,
) -> None:
    user = await identity.signed_in()
    # The account's time zone (identity's settings) is the one digests follow.
    zone = await client.patch(
        "/api/v1/users/me", json={"settings": {"timeZone": "Asia/Tokyo"}}, headers=user.headers
    )
    assert zone.status_code == 200
    assert zone.json()["settings"]["timeZone"] == "Asia/Tokyo"
    refused = await client.patch(
        "/api/v1/users/me", json={"settings": {"timeZone": "Asia/Atlantis"}}, headers=user.headers
    )
    assert refused.status_code == 422
    async with db.session() as session:
        await preferences.update(session, user.id, {"digests": {"community": "daily"}})
    # 21:00 UTC on 1 June is 06:00 on 2 June in Tokyo: before the 08:00 digest.
    frozen_clock.freeze(datetime(2026, 6, 1, 21, 0, tzinfo=UTC))
    await emit(db, reply(user.id, "First"), reply(user.id, "Second"), reply(user.id, "Third"))
    await relay.drain()
    emails = list(await deliveries_of(db, user.id, "email"))
    assert [d.status for d in emails] == ["batched"] * 3

    async def worker() -> int:
        async with db.session() as session:
            return await digests.send_due(session, settings)

    assert list(await asyncio.gather(worker(), worker())) == [0, 0]  # not yet morning in Tokyo
    frozen_clock.advance(hours=2)  # 08:00 in Tokyo
    sent = await asyncio.gather(worker(), worker())
    assert sorted(sent) == [0, 1]
    await relay.drain()
    [digest] = read_emails(settings, user.email)
    assert digest["Subject"] == "Your daily summary"
    text = email_text(digest)
    for title in ("First", "Second", "Third"):
        assert f"New reply in {title}" in text
    assert await worker() == 0  # same day: nothing more

    await emit(db, reply(user.id, "Fourth"))
    await relay.drain()
    assert await worker() == 0  # today's digest went out: this one waits for tomorrow
    frozen_clock.advance(days=1)
    assert await worker() == 1
    await relay.drain()
    later = read_emails(settings, user.email)
    assert len(later) == 2
    assert "New reply in Fourth" in email_text(later[-1])

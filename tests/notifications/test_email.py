"""Event to email end to end through a real SMTP server (aiosmtpd): the recipient's language,
multipart bodies, one-click unsubscribe (RFC 8058) on what is not mandatory, escaping of
payloads, and SMTP failures retried with backoff until ``failed`` without losing the mail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta

import pytest
from httpx import AsyncClient

from campus.commerce.events import OrderPaid
from campus.community.events import Mentioned
from campus.config import Settings
from campus.kernel.clock import Clock, utcnow
from campus.kernel.db import Database
from campus.kernel.jobs import Relay
from tests.fixtures.identity import IdentityFactory
from tests.notifications.helpers import (
    Collector,
    deliveries_of,
    emit,
    html_of,
    start_smtp,
    text_of,
)


@pytest.fixture
def smtp() -> Iterator[Collector]:
    collector, controller, port = start_smtp()
    collector.port = port  # type: ignore[attr-defined]
    try:
        yield collector
    finally:
        controller.stop()


@pytest.fixture
def settings(settings: Settings, smtp: Collector) -> Settings:
    return settings.replace(
        smtp_host="127.0.0.1",
        smtp_port=smtp.port,  # type: ignore[attr-defined]
        smtp_starttls=False,
        notifications_max_attempts=3,
    )


def mentioned(user_id: uuid.UUID, title: str) -> Mentioned:
    return Mentioned(
        post_id=uuid.uuid4(),
        topic_id=uuid.uuid4(),
        course_id=None,
        topic_title=title,
        author_id=uuid.uuid4(),
        mentioned_user_id=user_id,
        excerpt="Have a look at <b>this</b> & that",
        created_at=utcnow(),
    )


def paid(user_id: uuid.UUID) -> OrderPaid:
    return OrderPaid(
        order_id=uuid.uuid4(),
        user_id=user_id,
        currency="EUR",
        subtotal_minor=4900,
        discount_minor=0,
        tax_minor=0,
        total_minor=4900,
        course_ids=[],
        paid_at=utcnow(),
    )


async def test_an_event_reaches_a_french_learner_by_smtp_and_one_click_unsubscribe_keeps_receipts(
    client: AsyncClient, identity: IdentityFactory, db: Database, relay: Relay, smtp: Collector
) -> None:
    learner = await identity.signed_in(first_name="Élodie")
    changed = await client.patch(
        "/api/v1/users/me", json={"settings": {"language": "fr"}}, headers=learner.headers
    )
    assert changed.status_code == 200, changed.text

    await emit(db, mentioned(learner.id, "Décorateurs <script>"), paid(learner.id))
    await relay.drain()

    mails = smtp.to(learner.email)
    assert len(mails) == 2
    mention = next(m for m in mails if m["X-Campus-Notification"] == "community.mentioned")
    receipt = next(m for m in mails if m["X-Campus-Notification"] == "commerce.order_paid")
    assert mention["Subject"] == "Vous avez été mentionné dans Décorateurs <script>"
    assert text_of(mention).startswith("Bonjour Élodie,")
    assert "<b>this</b> & that" in text_of(mention)  # plain text is not HTML
    html = html_of(mention)
    assert "&lt;b&gt;this&lt;/b&gt; &amp; that" in html
    assert "<b>this</b>" not in html
    assert mention["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = str(mention["List-Unsubscribe"]).strip("<>")
    assert receipt["Subject"] == "Votre reçu"
    assert "49.00 EUR" in text_of(receipt)
    assert receipt["List-Unsubscribe"] is None  # a receipt is mandatory: no opt-out

    path = link.split("://", 1)[1].split("/", 1)[1]
    forged = await client.post("/" + path[:-3] + "AAA", data={"List-Unsubscribe": "One-Click"})
    assert forged.status_code == 422
    done = await client.post("/" + path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200, done.text

    await emit(db, mentioned(learner.id, "Générateurs"), paid(learner.id))
    await relay.drain()
    later = smtp.to(learner.email)[2:]
    assert [m["X-Campus-Notification"] for m in later] == ["commerce.order_paid"]
    inbox = await client.get("/api/v1/notifications", headers=learner.headers)
    # The in-app channel of the community category is still on.
    assert sum(i["typeCode"] == "community.mentioned" for i in inbox.json()["items"]) == 2


async def test_smtp_down_is_retried_with_backoff_then_failed_and_a_resend_delivers_it(
    client: AsyncClient,
    identity: IdentityFactory,
    db: Database,
    relay: Relay,
    smtp: Collector,
    frozen_clock: Clock,
) -> None:
    learner = await identity.user()
    admin = await identity.signed_in(roles=("admin",))
    smtp.refuse = True
    await emit(db, paid(learner.id))
    await relay.drain()
    [email] = await deliveries_of(db, learner.id, "email")
    assert (email.status, email.attempts) == ("pending", 1)
    assert email.send_at == frozen_clock.now() + timedelta(seconds=30)

    await relay.drain()  # not due yet: nothing happens
    assert (await deliveries_of(db, learner.id, "email"))[0].attempts == 1
    frozen_clock.advance(seconds=30)
    await relay.drain()
    [email] = await deliveries_of(db, learner.id, "email")
    assert (email.status, email.attempts) == ("pending", 2)
    assert email.send_at == frozen_clock.now() + timedelta(seconds=60)
    frozen_clock.advance(seconds=60)
    await relay.drain()
    [email] = await deliveries_of(db, learner.id, "email")
    assert (email.status, email.attempts) == ("failed", 3)
    assert email.last_error
    assert "451" in email.last_error
    assert smtp.messages == []

    smtp.refuse = False
    resent = await client.post(
        f"/api/v1/notifications/admin/deliveries/{email.id}/resend", headers=admin.headers
    )
    assert resent.status_code == 200, resent.text
    await relay.drain()
    [email] = await deliveries_of(db, learner.id, "email")
    assert email.status == "sent"
    assert [m["Message-ID"] for m in smtp.to(learner.email)] == [f"<{email.id}@campus.local>"]

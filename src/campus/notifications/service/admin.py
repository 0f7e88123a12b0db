"""Admin: delivery logs with filters, resend, a test send to oneself, sending statistics, and
the email provider's signed status callbacks."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.db import dialect_insert, rowcount
from campus.kernel.errors import Unauthorized, ValidationFailed
from campus.kernel.outbox import enqueue_job
from campus.notifications.channels import sms
from campus.notifications.data import NOTIFICATION_ADMIN, DeliveryStatus
from campus.notifications.events import DELIVER_JOB
from campus.notifications.exceptions import DeliveryNotFound
from campus.notifications.models import EmailSuppression, NotificationDelivery
from campus.notifications.service import pipeline, templates
from campus.notifications.service.records import DeliveryRecord
from campus.notifications.settings import NotificationsSettings


@dataclass(frozen=True, slots=True)
class LogFilter:
    user_id: uuid.UUID | None = None
    type_code: str | None = None
    channel: str | None = None
    status: str | None = None
    since: datetime | None = None
    until: datetime | None = None


async def logs(
    session: AsyncSession, principal: Principal, f: LogFilter, *, offset: int, limit: int
) -> tuple[list[DeliveryRecord], int]:
    principal.require(NOTIFICATION_ADMIN)
    where: list[sa.ColumnElement[bool]] = []
    if f.user_id is not None:
        where.append(NotificationDelivery.user_id == f.user_id)
    if f.type_code is not None:
        where.append(NotificationDelivery.type_code == f.type_code)
    if f.channel is not None:
        where.append(NotificationDelivery.channel == f.channel)
    if f.status is not None:
        where.append(NotificationDelivery.status == f.status)
    if f.since is not None:
        where.append(NotificationDelivery.created_at >= f.since)
    if f.until is not None:
        where.append(NotificationDelivery.created_at < f.until)
    total = int(
        await session.scalar(
            sa.select(sa.func.count()).select_from(NotificationDelivery).where(*where)
        )
        or 0
    )
    rows = (
        await session.execute(
            sa.select(NotificationDelivery)
            .where(*where)
            .order_by(NotificationDelivery.id.desc())
            .offset(offset)
            .limit(limit)
        )
    ).scalars()
    return [DeliveryRecord.of(row) for row in rows], total


async def resend(
    session: AsyncSession, principal: Principal, delivery_id: uuid.UUID
) -> DeliveryRecord:
    """Send a delivery again (a failed, skipped or sent one): back to pending, a new job."""
    principal.require(NOTIFICATION_ADMIN)
    row = await session.get(NotificationDelivery, delivery_id)
    if row is None:
        raise DeliveryNotFound()
    reset = await session.execute(
        sa.update(NotificationDelivery)
        .where(
            NotificationDelivery.id == delivery_id,
            NotificationDelivery.status.not_in([DeliveryStatus.PENDING, DeliveryStatus.QUEUED]),
        )
        .values(status=DeliveryStatus.PENDING, attempts=0, send_at=utcnow(), last_error=None)
    )
    if rowcount(reset):
        await enqueue_job(session, DELIVER_JOB, {"deliveryId": str(delivery_id), "secrets": {}})
    await session.refresh(row)
    return DeliveryRecord.of(row)


async def test_send(
    session: AsyncSession, settings: Settings, principal: Principal, type_code: str
) -> uuid.UUID | None:
    """Send one notification of ``type_code`` to oneself, with sample values."""
    principal.require(NOTIFICATION_ADMIN)
    kind = templates.notification_type(type_code)
    values = templates.sample_values(kind, NotificationsSettings.of(settings).platform_name)
    for common in ("first_name", "platform_name", "url"):
        values.pop(common, None)
    return await pipeline.notify(
        session,
        settings,
        pipeline.Intent(
            principal.user_id,
            type_code,
            f"test:{uuid.uuid4()}",
            values,
            url=f"{settings.base_url.rstrip('/')}/notifications",
            secrets={"url": f"{settings.base_url.rstrip('/')}/notifications"},
        ),
    )


async def stats(
    session: AsyncSession, principal: Principal, since: datetime | None
) -> dict[str, dict[str, int]]:
    """``{channel: {status: count}}``."""
    principal.require(NOTIFICATION_ADMIN)
    query = sa.select(
        NotificationDelivery.channel, NotificationDelivery.status, sa.func.count()
    ).group_by(NotificationDelivery.channel, NotificationDelivery.status)
    if since is not None:
        query = query.where(NotificationDelivery.created_at >= since)
    out: dict[str, dict[str, int]] = {}
    for channel, status, count in (await session.execute(query)).all():
        out.setdefault(channel, {})[status] = int(count)
    return out


# --------------------------------------------------------------------------- provider callbacks

#: The statuses a provider may report and the delivery status each becomes.
EVENT_STATUS = {
    "delivered": DeliveryStatus.DELIVERED,
    "open": DeliveryStatus.OPENED,
    "click": DeliveryStatus.CLICKED,
    "bounce": DeliveryStatus.BOUNCED,
    "complaint": DeliveryStatus.COMPLAINED,
}
#: A status is only replaced by a later one (an "open" arriving after a "click" is kept out).
_RANK = {
    DeliveryStatus.SENT: 0,
    DeliveryStatus.DELIVERED: 1,
    DeliveryStatus.OPENED: 2,
    DeliveryStatus.CLICKED: 3,
    DeliveryStatus.BOUNCED: 4,
    DeliveryStatus.COMPLAINED: 5,
}


def check_signature(settings: Settings, body: bytes, signature: str | None) -> None:
    secret = NotificationsSettings.of(settings).webhook_secret.get_secret_value()
    if not secret or not signature:
        raise Unauthorized("The callback is not signed.", code="bad_signature")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.removeprefix("sha256=")):
        raise Unauthorized("The callback signature is invalid.", code="bad_signature")


async def provider_event(
    session: AsyncSession,
    *,
    message_id: str,
    event: str,
    hard: bool,
    detail: str | None,
) -> bool:
    """Apply one status event; True when a delivery changed. A hard bounce or a complaint
    stops email to that address."""
    status = EVENT_STATUS[event]
    row = await session.scalar(
        sa.select(NotificationDelivery).where(
            NotificationDelivery.provider_message_id == message_id.strip("<>")
        )
    )
    if row is None:
        return False
    lower = [s for s, rank in _RANK.items() if rank < _RANK[status]]
    changed = await session.execute(
        sa.update(NotificationDelivery)
        .where(NotificationDelivery.id == row.id, NotificationDelivery.status.in_(lower))
        .values(status=status, provider_response=(detail or event)[:1000], updated_at=utcnow())
    )
    if (event == "complaint" or (event == "bounce" and hard)) and row.address:
        await session.execute(
            dialect_insert(session, EmailSuppression)
            .values(address=row.address.lower(), reason=event, created_at=utcnow())
            .on_conflict_do_nothing(index_elements=["address"])
        )
    return rowcount(changed) > 0


async def suppressed(session: AsyncSession, address: str) -> bool:
    return await pipeline.is_suppressed(session, address)


# SMS provider (Twilio) status callbacks: the delivery log status each becomes.
SMS_STATUS = {
    "delivered": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
}


def sms_callback_url(settings: Settings) -> str:
    return f"{settings.base_url.rstrip('/')}/api/v1/notifications/webhooks/sms"


async def sms_status(
    session: AsyncSession, settings: Settings, params: dict[str, str], signature: str | None
) -> bool:
    """Apply a Twilio status callback whose ``X-Twilio-Signature`` verifies (else 401)."""
    section = NotificationsSettings.of(settings)
    token = section.twilio_auth_token.get_secret_value()
    if not sms.verify_twilio_signature(sms_callback_url(settings), params, signature or "", token):
        raise Unauthorized("The callback signature is invalid.", code="bad_signature")
    try:
        update = sms.parse_twilio_status_callback(
            params, account_sid=section.twilio_account_sid or None
        )
    except sms.InvalidStatusCallback as exc:
        raise ValidationFailed(str(exc)) from exc
    status = SMS_STATUS.get(update.status)
    if status is None:
        return False
    changed = await session.execute(
        sa.update(NotificationDelivery)
        .where(
            NotificationDelivery.provider_message_id == update.provider_message_id,
            NotificationDelivery.channel == "sms",
            NotificationDelivery.status == DeliveryStatus.SENT,
        )
        .values(
            status=status,
            provider_response=f"{update.status.value} {update.error_code or ''}".strip(),
            updated_at=utcnow(),
        )
    )
    return rowcount(changed) > 0

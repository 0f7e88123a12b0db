"""Identity job and event handlers.

Identity subscribes to no events: account emails go through the kernel's ``kernel.send_email``
job, and identity's events (``campus.identity.events``) are for other contexts to subscribe to.
Two jobs send links on behalf of anonymous requests (password reset, verification resend), so
those requests do the same work whether or not the address has an account. Its periodic job,
``identity.purge_credentials``, deletes sessions that ended long ago (with their refresh tokens)
and spent email/reset tokens, so those tables stay the size of the live user base.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity.events import RESET_LINK_JOB, VERIFICATION_RESEND_JOB
from campus.identity.repository import credentials as credentials_repo
from campus.identity.service import credentials, registration
from campus.kernel.clock import utcnow
from campus.kernel.logging import get_logger
from campus.kernel.outbox import Delivery, HandlerRegistry

log = get_logger("campus.identity")

PURGE_JOB = "identity.purge_credentials"
PURGE_EVERY = timedelta(hours=1)
# Ended sessions stay a month (support questions, "was that me?"); spent tokens a day.
SESSION_RETENTION = timedelta(days=30)
ACTION_TOKEN_RETENTION = timedelta(days=1)


async def purge_credentials(session: AsyncSession, delivery: Delivery) -> None:
    del delivery
    now = utcnow()
    sessions = await credentials_repo.purge_ended_sessions(session, now - SESSION_RETENTION)
    tokens = await credentials_repo.purge_action_tokens(session, now - ACTION_TOKEN_RETENTION)
    if sessions or tokens:
        log.info("credentials_purged", sessions=sessions, action_tokens=tokens)


def register(registry: HandlerRegistry, settings: Settings) -> None:
    async def send_reset_link(session: AsyncSession, delivery: Delivery) -> None:
        await credentials.send_reset_link(session, settings, str(delivery.payload["emailKey"]))

    async def resend_verification(session: AsyncSession, delivery: Delivery) -> None:
        await registration.send_verification_link(
            session, settings, str(delivery.payload["emailKey"])
        )

    registry.job(RESET_LINK_JOB, send_reset_link)
    registry.job(VERIFICATION_RESEND_JOB, resend_verification)
    registry.periodic(PURGE_JOB, PURGE_EVERY, purge_credentials)

"""Booking's periodic jobs (reminders, the sweep of lapsed holds, requests and unattended
sessions) and the meeting job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.booking import events
from campus.booking.meetings.factory import build_provider
from campus.booking.service import sessions
from campus.config import Settings
from campus.kernel.ids import parse_id
from campus.kernel.outbox import Delivery, HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    provider = build_provider(settings)

    async def reminders(session: AsyncSession, delivery: Delivery) -> None:
        # Exactly once per session and offset: the sent-row insert is the claim.
        await sessions.send_reminders(session, settings)

    async def sweep(session: AsyncSession, delivery: Delivery) -> None:
        # Conditional updates: running late or twice changes nothing more.
        await sessions.sweep(session, settings)

    async def meeting(session: AsyncSession, delivery: Delivery) -> None:
        session_id = parse_id(str(delivery.payload.get("sessionId")))
        if session_id is not None:
            await sessions.create_meeting(session, provider, session_id)

    registry.periodic(events.REMINDERS_JOB, timedelta(minutes=5), reminders)
    registry.periodic(events.SWEEP_JOB, timedelta(minutes=5), sweep)
    registry.job(events.MEETING_JOB, meeting)

"""Events booking publishes (through the outbox, in the changing transaction), and its job
names.

Every booking event carries what a notification needs without reading booking's tables: the
session, the learner and the consultant, the service's name, the start and end in UTC and the
time zones of both participants (a message shows the time in the reader's zone)::

    {"sessionId", "learnerId", "consultantUserId", "serviceTypeId", "serviceName",
     "startsAt", "endsAt", "learnerTimeZone", "consultantTimeZone", ...}

``booking.requested`` - a learner asked for a session the consultant (or an admin, while no
consultant is assigned) must confirm before ``respondBy``.

``booking.confirmed`` - the session is scheduled (instant booking, a confirmed request, or a
paid session whose payment arrived).

``booking.rescheduled`` - the session moved from ``previousStartsAt`` to ``startsAt``.

``booking.cancelled`` - cancelled by ``cancelledBy`` (``learner``, ``consultant``, ``admin``,
``system``) with a reason; ``refunded`` says whether a payment is being refunded.

``booking.completed`` - the session took place.

``booking.no_show`` - ``absent`` (``learner`` or ``consultant``) did not attend.

``booking.reminder_due`` - a reminder ``minutesBefore`` the start (24 h and 1 h by default),
published exactly once per session and offset, never for a session no longer scheduled.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar, Final

from pydantic import BaseModel

from campus.kernel.events import Event


class _SessionFields(BaseModel):
    """The fields every booking event carries (a mixin, not an event)."""

    session_id: uuid.UUID
    learner_id: uuid.UUID
    consultant_user_id: uuid.UUID | None
    service_type_id: uuid.UUID
    service_name: str
    starts_at: datetime
    ends_at: datetime
    learner_time_zone: str
    consultant_time_zone: str | None


class BookingRequested(_SessionFields, Event):
    name: ClassVar[str] = "booking.requested"

    respond_by: datetime


class BookingConfirmed(_SessionFields, Event):
    name: ClassVar[str] = "booking.confirmed"


class BookingRescheduled(_SessionFields, Event):
    name: ClassVar[str] = "booking.rescheduled"

    previous_starts_at: datetime
    previous_ends_at: datetime


class BookingCancelled(_SessionFields, Event):
    name: ClassVar[str] = "booking.cancelled"

    cancelled_by: str
    reason: str
    refunded: bool


class BookingCompleted(_SessionFields, Event):
    name: ClassVar[str] = "booking.completed"


class BookingNoShow(_SessionFields, Event):
    name: ClassVar[str] = "booking.no_show"

    absent: str


class BookingReminderDue(_SessionFields, Event):
    name: ClassVar[str] = "booking.reminder_due"

    minutes_before: int


#: Periodic job: publish the reminders that fell due (24 h and 1 h before by default).
REMINDERS_JOB: Final = "booking.send_reminders"
#: Periodic job: expire unanswered requests and unpaid holds, mark automatic no-shows.
SWEEP_JOB: Final = "booking.sweep"
#: Job: create the meeting of a scheduled session at its provider {sessionId}.
MEETING_JOB: Final = "booking.create_meeting"

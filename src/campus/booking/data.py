"""Booking's published language: statuses and the permissions it checks."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from campus.identity.data import BOOKING_CONSULT
from campus.kernel.module import Permission


class SessionStatus(StrEnum):
    """A request and its session (seed 001 consultation_status and scheduled_session_status
    in one lifecycle, ADR 0039)."""

    HELD = "held"  # a paid slot held while the learner pays
    PENDING_ASSIGNMENT = "pending_assignment"  # no consultant chosen yet
    PENDING_CONFIRMATION = "pending_confirmation"  # the consultant confirms or declines
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    CANCELLED_BY_USER = "cancelled_by_user"
    CANCELLED_BY_CONSULTANT = "cancelled_by_consultant"
    NO_SHOW_USER = "no_show_user"
    NO_SHOW_CONSULTANT = "no_show_consultant"
    REJECTED = "rejected"  # declined by the consultant
    EXPIRED = "expired"  # a request unanswered, or a hold unpaid, in time


class Eligibility(StrEnum):
    ANYONE = "anyone"
    COURSE_LEARNERS = "course_learners"
    ORGANIZATION_MEMBERS = "organization_members"


#: Run sessions as a consultant (declared by identity, held by the consultant role).
BOOKING_CONSULT_PERMISSION: Final = BOOKING_CONSULT
#: Manage service types, assign requests, see every session and the utilisation report.
BOOKING_MANAGE: Final = "booking:manage"

PERMISSIONS: Final = (
    Permission(
        BOOKING_MANAGE,
        "Manage consultation service types, assign requests and see every session.",
    ),
)

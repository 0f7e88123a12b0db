"""Booking's errors with stable codes."""

from __future__ import annotations

from campus.kernel.errors import Conflict, NotFound


class SessionNotFound(NotFound):
    code = "session_not_found"
    message = "No such session, or not visible to you."


class ConsultantNotFound(NotFound):
    code = "consultant_not_found"
    message = "No such consultant."


class ServiceTypeNotFound(NotFound):
    code = "service_type_not_found"
    message = "No such service type."


class SlotTaken(Conflict):
    code = "slot_taken"
    message = "That time is no longer free."


class DailyLimitReached(Conflict):
    code = "daily_limit_reached"
    message = "The consultant takes no more sessions that day."


class InvalidTransition(Conflict):
    code = "session_state_conflict"
    message = "The session's state does not allow this."


class PolicyWindowClosed(Conflict):
    code = "policy_window_closed"
    message = "Too late, or too often, for this change under the booking policy."


class HoldExpired(Conflict):
    code = "hold_expired"
    message = "The hold on this slot expired; book again."


class FeedbackExists(Conflict):
    code = "feedback_exists"
    message = "This session already has feedback."

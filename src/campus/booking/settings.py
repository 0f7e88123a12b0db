"""Booking's settings section (``CAMPUS_BOOKING_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class BookingSettings(SettingsSection):
    """Slot grid, holds, request deadlines, the cancellation and reschedule policy,
    reminders and the meeting provider."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_BOOKING_", extra="ignore", frozen=True)

    #: Free slots start every this many minutes from the start of an availability window.
    slot_step_minutes: int = Field(default=30, ge=5, le=240)
    #: A paid slot is held this long while the learner pays.
    hold_minutes: int = Field(default=10, ge=1, le=120)
    #: A request the consultant has not answered in this many hours expires.
    request_hours: int = Field(default=24, ge=1, le=24 * 14)
    #: Reschedules and free cancellations are allowed up to this many hours before the start.
    change_cutoff_hours: int = Field(default=24, ge=0, le=24 * 14)
    #: How often a learner may reschedule one session.
    max_reschedules: int = Field(default=2, ge=0, le=10)
    #: Reminders before the start, in minutes (comma-separated).
    reminder_minutes: str = Field(default="1440,60", pattern=r"^\d{1,5}(,\d{1,5}){0,4}$")
    #: A scheduled session nobody started is marked a consultant no-show this long after its end.
    auto_no_show_minutes: int = Field(default=60, ge=5, le=24 * 60)
    #: Join links are shown this many minutes before the start.
    join_window_minutes: int = Field(default=15, ge=0, le=24 * 60)
    #: ``jitsi`` (rooms on ``meeting_base_url``, no account) or ``zoom`` (Server-to-Server
    #: OAuth app).
    meeting_provider: Literal["jitsi", "zoom"] = "jitsi"
    meeting_base_url: str = "https://meet.jit.si"
    zoom_api_url: str = "https://api.zoom.us/v2"
    zoom_oauth_url: str = "https://zoom.us/oauth/token"
    zoom_account_id: str = ""
    zoom_client_id: str = ""
    zoom_client_secret: SecretStr = SecretStr("")

    def reminder_offsets(self) -> tuple[int, ...]:
        return tuple(sorted({int(part) for part in self.reminder_minutes.split(",")}, reverse=True))

    def check_production(self) -> None:
        if self.meeting_provider == "zoom" and not (
            self.zoom_account_id and self.zoom_client_id and self.zoom_client_secret
        ):
            raise ValueError(
                "CAMPUS_BOOKING_MEETING_PROVIDER=zoom needs CAMPUS_BOOKING_ZOOM_ACCOUNT_ID, "
                "CAMPUS_BOOKING_ZOOM_CLIENT_ID and CAMPUS_BOOKING_ZOOM_CLIENT_SECRET"
            )

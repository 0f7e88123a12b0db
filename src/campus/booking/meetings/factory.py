"""The deployment's meeting provider."""

from __future__ import annotations

import httpx

from campus.booking.meetings.jitsi import JitsiProvider
from campus.booking.meetings.port import MeetingProvider
from campus.booking.meetings.zoom import ZoomProvider
from campus.booking.settings import BookingSettings
from campus.config import Settings


def build_provider(
    settings: Settings, transport: httpx.AsyncBaseTransport | None = None
) -> MeetingProvider:
    config = BookingSettings.of(settings)
    if config.meeting_provider == "zoom":
        return ZoomProvider(
            api_url=config.zoom_api_url,
            oauth_url=config.zoom_oauth_url,
            account_id=config.zoom_account_id,
            client_id=config.zoom_client_id,
            client_secret=config.zoom_client_secret.get_secret_value(),
            transport=transport,
        )
    return JitsiProvider(config.meeting_base_url)

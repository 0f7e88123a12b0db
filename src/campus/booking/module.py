"""What booking plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.booking import demo, tasks
from campus.booking.data import PERMISSIONS
from campus.booking.endpoints import router
from campus.booking.settings import BookingSettings
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="booking",
    routers=(router,),
    openapi_tags=(
        {
            "name": "booking",
            "description": "Consultations: service types, consultants and their availability, "
            "free slots, booking, the session lifecycle, invitations and dashboards",
        },
    ),
    settings=BookingSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
)

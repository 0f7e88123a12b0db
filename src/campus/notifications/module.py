"""What notifications plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from fastapi import FastAPI

from campus.kernel.module import ContextModule
from campus.notifications import demo, tasks
from campus.notifications.data import PERMISSIONS
from campus.notifications.endpoints import router
from campus.notifications.service import realtime
from campus.notifications.settings import NotificationsSettings


async def _close_streams(app: FastAPI) -> None:
    del app
    await realtime.close_all()


MODULE = ContextModule(
    name="notifications",
    routers=(router,),
    openapi_tags=(
        {
            "name": "notifications",
            "description": "The in-app inbox and its real-time stream, preferences, one-click "
            "unsubscribe and course announcements",
        },
        {
            "name": "notification admin",
            "description": "Notification types, templates, delivery logs, resend, test send, "
            "statistics and the email provider's status webhook",
        },
    ),
    settings=NotificationsSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    shutdown=(_close_streams,),
    demo=demo.seed_step,
)

"""Notifications' routers."""

from __future__ import annotations

from fastapi import APIRouter

from campus.notifications.endpoints import admin, announcements, inbox

router = APIRouter()
router.include_router(admin.router)
router.include_router(admin.webhook_router)
router.include_router(announcements.router)
router.include_router(announcements.manage_router)
router.include_router(inbox.router)

__all__ = ["router"]

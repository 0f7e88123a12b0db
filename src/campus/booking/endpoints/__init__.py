"""Booking's routers."""

from __future__ import annotations

from fastapi import APIRouter

from campus.booking.endpoints import catalog, sessions

router = APIRouter()
router.include_router(catalog.router)
router.include_router(sessions.router)

__all__ = ["router"]

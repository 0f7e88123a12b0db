"""Credentials' routers."""

from __future__ import annotations

from fastapi import APIRouter

from campus.credentials.endpoints import badges, certificates, templates, verification

router = APIRouter()
router.include_router(certificates.router)
router.include_router(certificates.course_router)
router.include_router(badges.router)
router.include_router(templates.router)
router.include_router(templates.runs_router)
router.include_router(verification.router)
router.include_router(verification.keys_router)

page_router = verification.page_router

__all__ = ["page_router", "router"]

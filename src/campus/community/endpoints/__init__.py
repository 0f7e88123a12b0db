"""Community's routers."""

from __future__ import annotations

from fastapi import APIRouter

from campus.community.endpoints import forums, moderation, reviews, testimonials

router = APIRouter()
router.include_router(forums.router)
router.include_router(reviews.course_router)
router.include_router(reviews.router)
router.include_router(moderation.router)
router.include_router(testimonials.router)
router.include_router(testimonials.notes_router)

__all__ = ["router"]

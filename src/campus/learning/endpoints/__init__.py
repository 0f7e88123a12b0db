"""Learning's HTTP routes (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.kernel.http import api_router
from campus.learning.endpoints import admin, courses, enrollments, learn, me

router = api_router()
# Literal paths before parameterised ones of the same shape.
router.include_router(me.router)
router.include_router(admin.router)
router.include_router(enrollments.router)
router.include_router(learn.router)
router.include_router(courses.router)

"""HTTP routes of coding exercises (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.coding.endpoints import exercises, practice, sandbox, submissions
from campus.kernel.http import api_router

router = api_router()
router.include_router(exercises.router)
router.include_router(practice.router)
router.include_router(submissions.router)
router.include_router(sandbox.router)

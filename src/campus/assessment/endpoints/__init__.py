"""The assessment context's HTTP routes (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.assessment.endpoints import assignments, attempts, grading, quizzes
from campus.kernel.http import api_router

router = api_router()
router.include_router(quizzes.router)
router.include_router(quizzes.quiz_router)
router.include_router(attempts.router)
router.include_router(assignments.assignment_router)
router.include_router(assignments.exam_router)
router.include_router(assignments.router)
router.include_router(grading.router)
# "/courses/{id}/gradebook.csv" and ".../gradebook/me" before nothing ambiguous: distinct paths.
router.include_router(grading.book_router)

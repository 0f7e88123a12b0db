"""What assessment plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.assessment import demo, tasks
from campus.assessment.data import PERMISSIONS
from campus.assessment.endpoints import router
from campus.assessment.endpoints.limits import UPLOAD_PATHS
from campus.assessment.settings import AssessmentSettings
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="assessment",
    routers=(router,),
    openapi_tags=(
        {"name": "question-bank", "description": "Course question banks (instructors)"},
        {"name": "quizzes", "description": "Quizzes: settings, question pools, item statistics"},
        {"name": "attempts", "description": "Quiz attempts: start, autosave, submit, results"},
        {"name": "assignments", "description": "Assignments and their submissions"},
        {"name": "exams", "description": "Timed exams with resources and file submissions"},
        {"name": "submissions", "description": "Learners' submissions, files and downloads"},
        {"name": "grading", "description": "Grading queue, grades, rubrics, revisions, scales"},
        {"name": "gradebook", "description": "Course gradebooks and CSV export"},
    ),
    settings=AssessmentSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
    upload_paths=(UPLOAD_PATHS,),
)

"""What learning plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.kernel.module import ContextModule
from campus.learning import cli, demo, tasks
from campus.learning.data import PERMISSIONS
from campus.learning.endpoints import router
from campus.learning.settings import LearningSettings

MODULE = ContextModule(
    name="learning",
    routers=(router,),
    openapi_tags=(
        {"name": "enrollments", "description": "Enroll, unenroll, upgrade, progress and resume"},
        {"name": "learn", "description": "Lesson content, start, video heartbeats and completion"},
        {"name": "my learning", "description": "My courses and my activity feed"},
        {"name": "rosters", "description": "Course rosters and roster exports for instructors"},
        {"name": "entitlements", "description": "Complimentary access to paid courses"},
        {"name": "enrollment administration", "description": "Bulk enrollment from CSV"},
    ),
    settings=LearningSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    cli=cli.app,
    demo=demo.seed_step,
)

"""What community plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.community import demo, tasks
from campus.community.data import PERMISSIONS
from campus.community.endpoints import router
from campus.community.settings import CommunitySettings
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="community",
    routers=(router,),
    openapi_tags=(
        {
            "name": "forums",
            "description": "Course forums and the platform forum: topics, threaded posts, "
            "solutions, pin and lock, votes, follows, mentions and search",
        },
        {
            "name": "reviews",
            "description": "Course ratings and reviews, their moderation, the instructor's "
            "reply, helpful votes and the rating distribution",
        },
        {
            "name": "moderation",
            "description": "Reports, the moderation queue and log, actions and sanctions",
        },
        {"name": "testimonials", "description": "Testimonials and the featured ones"},
        {"name": "lesson notes", "description": "A learner's private notes on lessons"},
    ),
    settings=CommunitySettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
)

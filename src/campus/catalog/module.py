"""What the catalog plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from campus.catalog import demo, tasks
from campus.catalog.data import PERMISSIONS
from campus.catalog.endpoints import router
from campus.kernel.module import ContextModule

MODULE = ContextModule(
    name="catalog",
    routers=(router,),
    openapi_tags=(
        {"name": "catalog", "description": "Public catalog: courses, categories, tags, tracks"},
        {"name": "authoring", "description": "Create, edit, review and publish courses"},
        {"name": "curriculum", "description": "Modules and lessons of a course's working version"},
        {"name": "categories", "description": "Category management"},
        {"name": "tags", "description": "Tag management"},
    ),
    permissions=PERMISSIONS,
    register=tasks.register,
    demo=demo.seed_step,
)

"""What coding exercises plug into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from fastapi import FastAPI

from campus.coding import demo, tasks
from campus.coding.data import PERMISSIONS
from campus.coding.endpoints import router
from campus.coding.settings import CodingSettings
from campus.kernel.module import ContextModule


async def _start(app: FastAPI) -> None:
    # Build and probe the code runner once per process; logs the active sandbox layers.
    app.state.coding_engine = await tasks.start_engine(app.state.settings)


MODULE = ContextModule(
    name="coding",
    routers=(router,),
    openapi_tags=(
        {"name": "coding exercises", "description": "Coding exercises: authoring, hints, runs"},
        {"name": "code submissions", "description": "Auto-graded code submissions and feedback"},
        {"name": "sandbox", "description": "The code runner and its sandbox layers (operators)"},
    ),
    settings=CodingSettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    startup=(_start,),
    demo=demo.seed_step,
)

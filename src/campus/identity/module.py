"""What identity plugs into Campus (docs/CONVENTIONS.md)."""

from __future__ import annotations

from fastapi import FastAPI

from campus.identity import demo, tasks
from campus.identity.api import make_token_verifier, sync_role_catalog
from campus.identity.data import PERMISSIONS
from campus.identity.endpoints import pages, router
from campus.identity.settings import IdentitySettings
from campus.kernel.module import ContextModule


async def _start(app: FastAPI) -> None:
    # The bearer-token verifier every authenticated route uses (campus.kernel.auth).
    app.state.token_verifier = make_token_verifier(app.state.settings)
    # Built-in roles and every module's permissions (app.state.permissions, from campus.main).
    await sync_role_catalog(app.state.db, app.state.permissions.values())


MODULE = ContextModule(
    name="identity",
    routers=(router,),
    root_routers=(pages.router,),
    openapi_tags=(
        {
            "name": "auth",
            "description": "Registration, login, tokens, MFA, password and email flows",
        },
        {"name": "users", "description": "My account, profile, settings and sessions"},
        {"name": "instructors", "description": "Public instructor profiles"},
        {"name": "admin", "description": "User and role management for administrators"},
        {
            "name": "organizations",
            "description": "Companies: branding, email domains, members, roles and invitations",
        },
    ),
    settings=IdentitySettings,
    permissions=PERMISSIONS,
    register=tasks.register,
    startup=(_start,),
    demo=demo.seed_step,
)

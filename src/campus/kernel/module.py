"""What a bounded context plugs into Campus: its ``module.py`` declares one ``ContextModule``.

The composition root (``campus.main``, ``campus.cli``, ``campus.worker``, ``campus.models``,
``campus.seed``) loops over the modules listed in ``campus.modules``; adding a context touches
no central file except that list. See docs/CONVENTIONS.md for the template.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Self

from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    import typer
    from fastapi import APIRouter, FastAPI
    from sqlalchemy.ext.asyncio import AsyncSession

    from campus.config import Settings
    from campus.kernel.outbox import HandlerRegistry


class SettingsSection(BaseSettings):
    """A context's settings: a class of its own, read from the same ``CAMPUS_*`` variables.

    Subclasses set their own ``env_prefix`` when every variable shares one
    (``CAMPUS_LEARNING_``) and keep ``CAMPUS_`` otherwise. Reach a section with
    ``settings.section(LearningSettings)``; tests override any setting by its variable name
    with ``settings.replace(learning_video_completion_share=0.5)``."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_", extra="ignore", frozen=True)

    @classmethod
    def of(cls, settings: Settings) -> Self:
        """This section of ``settings``."""
        return settings.section(cls)

    def check_production(self) -> None:
        """Raise ``ValueError`` for a value production must not run with."""

    @classmethod
    def variable_names(cls) -> dict[str, str]:
        """``{lower-case variable name without CAMPUS_: field name}``."""
        prefix = str(cls.model_config.get("env_prefix", "CAMPUS_")).lower()
        bare = prefix.removeprefix("campus_")
        return {f"{bare}{name}": name for name in cls.model_fields}


@dataclass(frozen=True, slots=True)
class Permission:
    """A permission a context checks (``principal.require(code)``) and the built-in roles
    that hold it (administrators hold every permission)."""

    code: str
    description: str
    roles: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class DemoAccount:
    role: str
    email: str
    password: str


@dataclass
class SeedState:
    """What earlier demo steps created: the demo accounts and their user ids by email."""

    accounts: list[DemoAccount] = field(default_factory=list)
    user_ids: dict[str, uuid.UUID] = field(default_factory=dict)


SeedStep = Callable[["AsyncSession", "Settings", SeedState], Awaitable[None]]
AppHook = Callable[["FastAPI"], Awaitable[None]]
Register = Callable[["HandlerRegistry", "Settings"], None]


@dataclass(frozen=True, slots=True)
class ContextModule:
    """Everything a context contributes. Only ``name`` is required.

    * ``routers``: mounted under ``/api/v1``; ``root_routers`` at the root (HTML pages);
    * ``openapi_tags``: ``{"name", "description"}`` of the tags its routes use;
    * ``settings``: its ``SettingsSection`` class;
    * ``permissions``: what its services check, with the built-in roles that hold them;
    * ``register``: subscribes its event handlers and registers its jobs and periodic jobs;
    * ``startup``/``shutdown``: run in the app's lifespan (in module order; shutdown reversed);
    * ``cli``: a Typer app added as ``campus <name> ...``;
    * ``demo``: the step that seeds its demo data (idempotent, one transaction);
    * ``upload_paths``: regular expressions of its file-upload routes (their bodies may reach
      ``CAMPUS_UPLOAD_MAX_BYTES`` instead of ``CAMPUS_MAX_BODY_BYTES``).
    """

    name: str
    routers: tuple[APIRouter, ...] = ()
    root_routers: tuple[APIRouter, ...] = ()
    openapi_tags: tuple[Mapping[str, str], ...] = ()
    settings: type[SettingsSection] | None = None
    permissions: tuple[Permission, ...] = ()
    register: Register | None = None
    startup: tuple[AppHook, ...] = ()
    shutdown: tuple[AppHook, ...] = ()
    cli: typer.Typer | None = None
    demo: SeedStep | None = None
    upload_paths: tuple[re.Pattern[str], ...] = ()


def all_permissions(modules: Iterable[ContextModule]) -> dict[str, Permission]:
    """Every module's permissions by code; a code declared twice is an error."""
    found: dict[str, Permission] = {}
    for module in modules:
        for permission in module.permissions:
            if permission.code in found:
                raise ValueError(f"permission {permission.code!r} is declared twice")
            found[permission.code] = permission
    return found

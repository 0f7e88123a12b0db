"""Campus settings, read from ``CAMPUS_*`` environment variables."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from campus.kernel.module import SettingsSection

# Refused in production (see _refuse_weak_production_secrets).
DEFAULT_SECRET = "change-me-dev-secret-not-for-production"  # noqa: S105  # nosec B105


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


S = TypeVar("S", bound=SettingsSection)


def _section_classes() -> list[type[SettingsSection]]:
    from campus.modules import load_modules  # the contexts import this module

    return [module.settings for module in load_modules() if module.settings is not None]


def _section_key(kind: type[SettingsSection]) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _load_sections() -> dict[str, SettingsSection]:
    return {_section_key(kind): kind() for kind in _section_classes()}


class Settings(BaseSettings):
    """The platform's own settings (database, cache, secrets, HTTP limits, mail, outbox,
    logs) and every context's section. The README's configuration table lists them all."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./campus-data")
    database_url: str = ""
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_echo: bool = False
    redis_url: str = ""
    #: Prefix of every Redis key Campus writes (cache, rate limits, worker wake-ups), so several
    #: deployments or test runs can share one Redis and ``reset`` never touches foreign keys.
    redis_namespace: str = Field(default="campus", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
    base_url: str = "http://127.0.0.1:8000"

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: Largest file one upload route accepts (the file-upload routes contexts declare); the
    #: request body may exceed it by the multipart framing only.
    upload_max_bytes: int = Field(default=25 * 1_048_576, ge=1024)
    metrics_token: SecretStr = SecretStr("")
    cache_memory_max_mb: int = Field(default=64, ge=1, le=65_536)
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    smtp_host: str = ""
    smtp_port: int = 587
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_starttls: bool = True
    mail_from: str = "Campus <no-reply@campus.local>"

    jobs_in_process: bool = True
    outbox_max_attempts: int = Field(default=8, ge=1, le=50)
    outbox_poll_seconds: float = Field(default=1.0, gt=0)
    outbox_lease_seconds: int = Field(default=300, ge=5, le=86_400)
    outbox_batch_size: int = Field(default=20, ge=1, le=500)
    outbox_retention_days: int = Field(default=7, ge=1, le=3650)
    gc_tuning: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    seed_demo_on_first_run: bool = True

    #: Every context's settings section (``SettingsSection``), loaded from the environment
    #: for each context module; reach one with ``section(TheSection)``.
    sections: dict[str, SettingsSection] = Field(default_factory=_load_sections, repr=False)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _refuse_weak_production_secrets(self) -> Settings:
        if self.env is Environment.PRODUCTION:
            secret = self.secret_key.get_secret_value()
            if secret == DEFAULT_SECRET or len(secret) < 32:
                raise ValueError(
                    "CAMPUS_SECRET_KEY must be set to a random value of at least 32 characters"
                    " in production"
                )
            if not self.database_url:
                raise ValueError("CAMPUS_DATABASE_URL must be set in production")
            for section in self.sections.values():
                section.check_production()
        return self

    def section(self, kind: type[S]) -> S:
        """This context's settings section (from the environment when none was given)."""
        found = self.sections.get(_section_key(kind))
        return found if isinstance(found, kind) else kind()

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied, each named as its variable without ``CAMPUS_``
        (``replace(code_runner="judge0", outbox_poll_seconds=0.05)``), whichever section holds
        it. Unknown names are a ``TypeError``."""
        own = {name: value for name, value in changes.items() if name in type(self).model_fields}
        rest = {name: value for name, value in changes.items() if name not in own}
        sections = dict(self.sections)
        for kind in _section_classes():
            names = kind.variable_names()
            mine = {names[name]: rest.pop(name) for name in list(rest) if name in names}
            if mine:
                key = _section_key(kind)
                sections[key] = self.section(kind).model_copy(update=mine)
        if rest:
            raise TypeError(f"unknown settings: {', '.join(sorted(rest))}")
        return self.model_copy(update={**own, "sections": sections})

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'campus.db').resolve()}"

    @property
    def is_sqlite(self) -> bool:
        return self.resolved_database_url.startswith("sqlite")

    @property
    def is_production(self) -> bool:
        return self.env is Environment.PRODUCTION


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

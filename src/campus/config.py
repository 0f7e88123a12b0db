"""Campus settings, read from ``CAMPUS_*`` environment variables."""

from __future__ import annotations

import functools
import os
import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from campus.kernel.module import SettingsSection

#: Where development and test runs keep the server secret they generated (in the data dir).
SECRET_KEY_FILE = Path("keys") / "secret-key"
#: The shortest server secret production accepts.
MIN_SECRET_LENGTH = 32


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


def private_directory(path: Path) -> Path:
    """Create ``path`` (and its parents) readable by this user only, and tighten it to ``0700``
    when it exists with a looser mode: the data directory holds the database, uploads and
    keys, and nothing else on the host (a graded program running as another user among them)
    may enter it."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if path.stat().st_mode & 0o077:
        path.chmod(0o700)
    for entry in path.iterdir():  # the database files, keys: tightened where they are looser
        if entry.is_file() and not entry.is_symlink() and entry.stat().st_mode & 0o077:
            entry.chmod(0o600)
    return path


def _development_secret(data_dir: Path) -> str:
    """The secret of a development or test data directory: random, generated on first use and
    kept in ``keys/secret-key`` (``0600``), never a constant of the code."""
    path = data_dir / SECRET_KEY_FILE
    private_directory(path.parent)
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its secret
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(secret)
    return secret


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

    #: Signs file links and encrypts MFA secrets. Empty outside production: a random secret is
    #: generated into the data directory on first use (``keys/secret-key``).
    secret_key: SecretStr = SecretStr("")
    #: Addresses (or CIDR ranges) of the reverse proxies whose ``X-Forwarded-For`` and
    #: ``X-Forwarded-Proto`` headers ``campus serve`` believes; none by default, so a client
    #: cannot choose the address its rate limits and sessions see.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: Largest file one upload route accepts (the file-upload routes contexts declare); the
    #: request body may exceed it by the multipart framing only.
    upload_max_bytes: int = Field(default=25 * 1_048_576, ge=1024)
    #: Bounds of an uploaded archive's inspection (``campus.kernel.inspection``): entries,
    #: expanded bytes in all, expanded-to-compressed ratio, archives nested inside, seconds.
    upload_archive_max_entries: int = Field(default=10_000, ge=1, le=10_000_000)
    upload_archive_max_expanded_bytes: int = Field(default=256 * 1_048_576, ge=1024)
    upload_archive_max_ratio: int = Field(default=100, ge=2)
    upload_archive_max_depth: int = Field(default=1, ge=0, le=5)
    upload_inspection_seconds: float = Field(default=5.0, gt=0, le=600)
    #: Uploads one user may have refused (size, type, archive limits) per hour before 429.
    upload_refusals_per_hour: int = Field(default=20, ge=1)
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

    @model_validator(mode="before")
    @classmethod
    def _sort_values_into_sections(cls, data: Any) -> Any:
        """``Settings(code_runner="judge0", ...)`` sets the value in the section that holds
        it, so every setting is given by its variable name whichever class declares it."""
        if not isinstance(data, dict):
            return data
        given = data.get("sections")
        if isinstance(given, dict) and all(isinstance(v, SettingsSection) for v in given.values()):
            return data  # built by ``replace`` (or a caller holding sections already)
        values = {name: value for name, value in data.items() if name != "sections"}
        sections: dict[str, SettingsSection] = {}
        for kind in _section_classes():
            names = kind.variable_names()
            mine = {names[name]: values.pop(name) for name in list(values) if name in names}
            sections[_section_key(kind)] = kind(**mine)
        values["sections"] = sections
        return values

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_origins(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @model_validator(mode="after")
    def _secrets_and_production(self) -> Settings:
        if self.env is not Environment.PRODUCTION:
            if not self.secret_key.get_secret_value():
                generated = SecretStr(_development_secret(self.data_dir))
                object.__setattr__(self, "secret_key", generated)
            return self
        if len(self.secret_key.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(
                f"CAMPUS_SECRET_KEY must be set to a random value of at least {MIN_SECRET_LENGTH}"
                " characters in production"
            )
        if not self.database_url:
            raise ValueError("CAMPUS_DATABASE_URL must be set in production")
        if "base_url" not in self.model_fields_set:
            raise ValueError(
                "CAMPUS_BASE_URL must be set in production (the public address in email links)"
            )
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

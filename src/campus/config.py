"""Campus settings, read from ``CAMPUS_*`` environment variables."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_SECRET = "change-me-dev-secret-not-for-production"  # noqa: S105 - refused in production


class Environment(StrEnum):
    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class Settings(BaseSettings):
    """Every setting Campus reads. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_", extra="ignore", frozen=True)

    env: Environment = Environment.DEVELOPMENT
    data_dir: Path = Path("./campus-data")
    database_url: str = ""
    database_pool_size: int = Field(default=10, ge=1, le=200)
    database_echo: bool = False
    redis_url: str = ""
    base_url: str = "http://127.0.0.1:8000"

    secret_key: SecretStr = SecretStr(DEFAULT_SECRET)
    jwt_private_key: SecretStr = SecretStr("")
    jwt_issuer: str = "campus"
    jwt_audience: str = "campus-api"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=3600)
    refresh_idle_ttl_seconds: int = Field(default=7 * 24 * 3600, ge=300)
    refresh_absolute_ttl_seconds: int = Field(default=30 * 24 * 3600, ge=3600)
    refresh_cookie_secure: bool = True
    require_mfa_for_admins: bool = False

    login_failures_per_account_per_hour: int = Field(default=100, ge=1)
    login_attempts_per_ip_per_minute: int = Field(default=30, ge=1)
    auth_emails_per_hour: int = Field(default=5, ge=1)
    refresh_per_ip_per_minute: int = Field(default=60, ge=1)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
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
    log_level: str = "INFO"
    log_json: bool = True
    seed_demo_on_first_run: bool = True

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
            if not self.jwt_private_key.get_secret_value():
                raise ValueError("CAMPUS_JWT_PRIVATE_KEY (PEM, Ed25519) must be set in production")
            if not self.database_url:
                raise ValueError("CAMPUS_DATABASE_URL must be set in production")
        return self

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

"""Campus settings, read from ``CAMPUS_*`` environment variables."""

from __future__ import annotations

import functools
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Refused in production (see _refuse_weak_production_secrets).
DEFAULT_SECRET = "change-me-dev-secret-not-for-production"  # noqa: S105  # nosec B105


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
    #: Prefix of every Redis key Campus writes (cache, rate limits, worker wake-ups), so several
    #: deployments or test runs can share one Redis and ``reset`` never touches foreign keys.
    redis_namespace: str = Field(default="campus", pattern=r"^[A-Za-z0-9_.-]{1,64}$")
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
    # Identity: account emails (verify/reset/resend/register) one client IP may trigger per hour.
    auth_emails_per_ip_per_hour: int = Field(default=20, ge=1)
    refresh_per_ip_per_minute: int = Field(default=60, ge=1)

    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    #: Largest file one upload route accepts (assessment submissions and resources); the
    #: request body may exceed it by the multipart framing only.
    upload_max_bytes: int = Field(default=25 * 1_048_576, ge=1024)
    #: Assessment: answers saved up to this long after an attempt's deadline still count.
    assessment_answer_grace_seconds: int = Field(default=5, ge=0, le=300)
    # Coding exercises (assessment/coding, ADR 0016-0018). ``code_runner``: "local" grades in
    # the layered sandbox on this host, "judge0" sends tests to a Judge0-compatible server at
    # ``judge0_url`` (polled every ``judge0_poll_seconds``). Analysis (metrics + ruff) runs in
    # the local sandbox when ``code_analysis`` is on. Limits: submitted code size, submissions
    # and "run" actions per learner per minute, the largest per-test time and memory an
    # exercise may ask for. Local sandbox: bubblewrap (None = use it when it works), the
    # dedicated uid range (used when running as root), job directory root ("" = the temp
    # directory), parallel jobs (0 = one per uid, or one per CPU without root).
    code_runner: str = Field(default="local", pattern="^(local|judge0)$")
    judge0_url: str = ""
    judge0_auth_token: SecretStr = SecretStr("")
    judge0_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    judge0_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    code_analysis: bool = True
    code_max_bytes: int = Field(default=64 * 1024, ge=1024, le=256 * 1024)
    code_submissions_per_minute: int = Field(default=6, ge=1)
    code_runs_per_minute: int = Field(default=20, ge=1)
    code_max_time_limit_ms: int = Field(default=10_000, ge=100, le=60_000)
    code_max_memory_mb: int = Field(default=512, ge=32, le=4096)
    sandbox_bubblewrap: bool | None = None
    sandbox_first_uid: int = Field(default=61000, ge=1000)
    sandbox_uid_pool_size: int = Field(default=64, ge=1, le=4096)
    sandbox_workspace_root: str = ""
    sandbox_max_concurrency: int = Field(default=0, ge=0, le=512)
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

    # Learning: a video completes once this share of it was watched; a heartbeat may claim the
    # wall time since the last one plus this tolerance; CSV bulk enrollment and export limits.
    learning_video_completion_share: float = Field(default=0.9, gt=0, le=1)
    learning_heartbeat_tolerance_seconds: int = Field(default=5, ge=0, le=120)
    learning_activity_touch_seconds: int = Field(default=60, ge=1, le=3600)
    learning_bulk_max_bytes: int = Field(default=512 * 1024, ge=1024)
    learning_bulk_max_rows: int = Field(default=5000, ge=1)
    learning_export_chunk_rows: int = Field(default=1000, ge=10, le=10_000)
    learning_curriculum_cache_size: int = Field(default=512, ge=1)

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

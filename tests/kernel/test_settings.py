"""Settings: production refuses default or weak secrets and missing keys (AUTH-09); the
environment is parsed as documented."""

from __future__ import annotations

import os
from typing import Any

import pytest
from pydantic import ValidationError

from campus.config import DEFAULT_SECRET, Environment, Settings

STRONG_SECRET = "k" * 48
PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
PG_URL = "postgresql+asyncpg://campus@db.internal/campus"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests build Settings from scratch: no CAMPUS_* variable of the shell leaks in."""
    for name in list(os.environ):
        if name.startswith("CAMPUS_"):
            monkeypatch.delenv(name)


def production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "production",
        "secret_key": STRONG_SECRET,
        "jwt_private_key": PEM,
        "database_url": PG_URL,
    }
    values.update(overrides)
    return Settings(**values)


def test_production_accepts_a_complete_configuration() -> None:
    settings = production()
    assert settings.is_production
    assert settings.env is Environment.PRODUCTION
    assert not settings.is_sqlite


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"secret_key": DEFAULT_SECRET}, "CAMPUS_SECRET_KEY"),
        ({"secret_key": "short-but-not-default"}, "CAMPUS_SECRET_KEY"),
        ({"secret_key": "x" * 31}, "CAMPUS_SECRET_KEY"),
        ({"jwt_private_key": ""}, "CAMPUS_JWT_PRIVATE_KEY"),
        ({"database_url": ""}, "CAMPUS_DATABASE_URL"),
    ],
    ids=["default-secret", "short-secret", "31-chars", "no-jwt-key", "no-database-url"],
)
def test_production_refuses_default_or_short_secrets_and_missing_keys(
    overrides: dict[str, Any], complaint: str
) -> None:
    with pytest.raises(ValidationError, match=complaint):
        production(**overrides)


def test_production_is_refused_from_the_environment_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPUS_ENV", "production")
    with pytest.raises(ValidationError, match="CAMPUS_SECRET_KEY"):
        Settings()


def test_development_runs_on_defaults() -> None:
    settings = Settings()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.secret_key.get_secret_value() == DEFAULT_SECRET
    assert settings.is_sqlite
    assert settings.jobs_in_process is True
    assert settings.redis_namespace == "campus"


def test_secrets_do_not_show_in_the_settings_repr() -> None:
    text = repr(production(smtp_password="smtp-pw-123"))
    assert STRONG_SECRET not in text
    assert "smtp-pw-123" not in text
    assert "BEGIN PRIVATE KEY" not in text


def test_cors_origins_are_read_comma_separated_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "CAMPUS_CORS_ORIGINS", " https://app.campus.example, https://admin.campus.example ,,"
    )
    assert Settings().cors_origins == [
        "https://app.campus.example",
        "https://admin.campus.example",
    ]
    monkeypatch.setenv("CAMPUS_CORS_ORIGINS", "")
    assert Settings().cors_origins == []


def test_kernel_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMPUS_JOBS_IN_PROCESS", "false")
    monkeypatch.setenv("CAMPUS_OUTBOX_POLL_SECONDS", "2.5")
    monkeypatch.setenv("CAMPUS_OUTBOX_LEASE_SECONDS", "120")
    monkeypatch.setenv("CAMPUS_REDIS_NAMESPACE", "campus-eu")
    monkeypatch.setenv("CAMPUS_MAX_BODY_BYTES", "2048")
    settings = Settings()
    assert settings.jobs_in_process is False
    assert settings.outbox_poll_seconds == 2.5
    assert settings.outbox_lease_seconds == 120
    assert settings.redis_namespace == "campus-eu"
    assert settings.max_body_bytes == 2048


@pytest.mark.parametrize("namespace", ["", "has space", "glob*", "a:b", "x" * 65])
def test_redis_namespace_must_be_a_plain_key_prefix(namespace: str) -> None:
    with pytest.raises(ValidationError):
        Settings(redis_namespace=namespace)


def test_body_limit_has_a_floor() -> None:
    with pytest.raises(ValidationError):
        Settings(max_body_bytes=100)

"""Settings: production refuses default or weak secrets and missing keys (AUTH-09); the
environment is parsed as documented."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from campus.config import SECRET_KEY_FILE, Environment, Settings

STRONG_SECRET = "k" * 48
PEM = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n"
PG_URL = "postgresql+asyncpg://campus@db.internal/campus"


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """These tests build Settings from scratch: no CAMPUS_* variable of the shell leaks in, and
    what a development run generates goes to a data directory of the test's own."""
    for name in list(os.environ):
        if name.startswith("CAMPUS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("CAMPUS_DATA_DIR", str(tmp_path / "data"))


def production(**overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "env": "production",
        "secret_key": STRONG_SECRET,
        "jwt_private_key": PEM,
        "database_url": PG_URL,
        "base_url": "https://campus.example",
        "credentials_signing_key": "9f" * 32,
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
        ({"secret_key": ""}, "CAMPUS_SECRET_KEY"),
        ({"secret_key": "short-but-not-empty"}, "CAMPUS_SECRET_KEY"),
        ({"secret_key": "x" * 31}, "CAMPUS_SECRET_KEY"),
        ({"jwt_private_key": ""}, "CAMPUS_JWT_PRIVATE_KEY"),
        ({"database_url": ""}, "CAMPUS_DATABASE_URL"),
    ],
    ids=["no-secret", "short-secret", "31-chars", "no-jwt-key", "no-database-url"],
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


def test_production_needs_its_public_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    values: dict[str, Any] = {
        "env": "production",
        "secret_key": STRONG_SECRET,
        "database_url": PG_URL,
    }
    monkeypatch.setenv("CAMPUS_JWT_PRIVATE_KEY", PEM)
    monkeypatch.setenv("CAMPUS_CREDENTIALS_SIGNING_KEY", "9f" * 32)
    with pytest.raises(ValidationError, match="CAMPUS_BASE_URL"):
        Settings(**values)
    monkeypatch.setenv("CAMPUS_BASE_URL", "https://learn.example.org")
    assert Settings(**values).base_url == "https://learn.example.org"


def test_development_generates_its_secret_into_the_data_directory(tmp_path: Path) -> None:
    first = Settings()
    secret = first.secret_key.get_secret_value()
    assert len(secret) >= 32
    assert "change-me" not in secret
    stored = Path(first.data_dir) / SECRET_KEY_FILE
    assert stored.read_text() == secret
    assert stored.stat().st_mode & 0o777 == 0o600
    assert stored.parent.stat().st_mode & 0o777 == 0o700
    # The same data directory keeps its secret; another one gets its own.
    assert Settings().secret_key.get_secret_value() == secret
    other = Settings(data_dir=tmp_path / "elsewhere").secret_key.get_secret_value()
    assert other != secret


def test_development_runs_on_defaults() -> None:
    settings = Settings()
    assert settings.env is Environment.DEVELOPMENT
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

"""Credentials' production check: no production start without a configured signing key."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import SecretStr, ValidationError

from campus.config import Settings
from campus.credentials.settings import CredentialsSettings

KEY = "9f" * 32


def test_production_refuses_to_start_without_a_configured_signing_key() -> None:
    with pytest.raises(ValueError, match="CAMPUS_CREDENTIALS_SIGNING_KEY must be set"):
        CredentialsSettings().check_production()
    CredentialsSettings(signing_key=SecretStr(KEY)).check_production()


@pytest.mark.parametrize("key", ["xyz", "9f" * 31, "9f" * 33, "9f" * 31 + "zz"])
def test_production_refuses_a_signing_key_that_is_not_32_bytes_of_hex(key: str) -> None:
    with pytest.raises(ValueError, match="64 hex characters"):
        CredentialsSettings(signing_key=SecretStr(key)).check_production()


def test_the_platform_settings_of_production_carry_the_refusal() -> None:
    values: dict[str, Any] = {
        "env": "production",
        "secret_key": "k" * 48,
        "jwt_private_key": "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n",
        "database_url": "postgresql+asyncpg://campus@db.internal/campus",
        "base_url": "https://campus.example",
    }
    with pytest.raises(ValidationError, match="CAMPUS_CREDENTIALS_SIGNING_KEY"):
        Settings(**values, credentials_signing_key="")
    accepted = Settings(**values, credentials_signing_key=KEY)
    assert CredentialsSettings.of(accepted).signing_key.get_secret_value() == KEY

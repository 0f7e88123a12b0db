"""Credentials' settings section (``CAMPUS_CREDENTIALS_*``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class CredentialsSettings(SettingsSection):
    """Certificate numbers, the issuer of the Open Badges credentials and its signing key,
    fonts for the PDFs, the verification page's rate limit, and download links."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_CREDENTIALS_", extra="ignore", frozen=True)

    #: Certificate numbers read ``<prefix>-<year>-<6 characters>``.
    number_prefix: str = Field(default="CAMPUS", pattern=r"^[A-Z][A-Z0-9]{1,11}$")
    #: Shown on certificates and as the Open Badges issuer profile's name.
    issuer_name: str = "Campus"
    #: Ed25519 private key (32 bytes, hex) signing credentials. Required in production; empty
    #: (development and tests only): one is generated on first use and stored, unencrypted, in
    #: the database once.
    signing_key: SecretStr = SecretStr("")
    #: Directories searched for the certificate fonts (colon-separated); empty: the usual
    #: system font directories.
    font_dirs: str = ""
    #: A name with a character no installed font has: ``fallback`` renders it with a logged
    #: warning (the glyph shows as a box), ``refuse`` fails the production check when the
    #: fonts for Latin, Cyrillic, Greek, Arabic and CJK are not all installed.
    missing_glyphs: Literal["fallback", "refuse"] = "fallback"
    #: Public verification requests per client IP.
    verify_rate_limit: str = "60/minute"
    #: How long a download link of a certificate's PDF or PNG works.
    download_url_minutes: int = Field(default=15, ge=1, le=24 * 60)
    #: Revoke a learner's certificates of a course when an admin revokes their enrollment.
    revoke_on_enrollment_revoked: bool = False

    def check_production(self) -> None:
        key = self.signing_key.get_secret_value()
        if not key:
            raise ValueError(
                "CAMPUS_CREDENTIALS_SIGNING_KEY must be set in production (an Ed25519 private "
                "key, 64 hex characters, from the secret store): without it a key is generated "
                "and kept unencrypted in the database"
            )
        if not _is_ed25519_hex(key):
            raise ValueError(
                "CAMPUS_CREDENTIALS_SIGNING_KEY must be an Ed25519 private key as 64 hex characters"
            )
        if self.missing_glyphs == "refuse":
            from campus.credentials.service.fonts import missing_scripts

            missing = missing_scripts(self.font_dirs)
            if missing:
                raise ValueError(
                    "CAMPUS_CREDENTIALS_MISSING_GLYPHS=refuse and no font for "
                    + ", ".join(missing)
                    + " was found (install fonts-dejavu-core, fonts-noto-core and "
                    "fonts-droid-fallback, or set CAMPUS_CREDENTIALS_FONT_DIRS)"
                )


def _is_ed25519_hex(value: str) -> bool:
    try:
        raw = bytes.fromhex(value)
    except ValueError:
        return False
    return len(raw) == 32

"""Assessment's settings section (``CAMPUS_ASSESSMENT_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class AssessmentSettings(SettingsSection):
    """Answers saved up to ``answer_grace_seconds`` after an attempt's deadline still count."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_ASSESSMENT_", extra="ignore", frozen=True)

    answer_grace_seconds: int = Field(default=5, ge=0, le=300)

"""Learning's settings section (``CAMPUS_LEARNING_*``)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from campus.kernel.module import SettingsSection


class LearningSettings(SettingsSection):
    """A video completes once ``video_completion_share`` of it was watched; a heartbeat may
    claim the wall time since the last one plus ``heartbeat_tolerance_seconds``; CSV bulk
    enrollment and roster export limits; published curricula cached per process."""

    model_config = SettingsConfigDict(env_prefix="CAMPUS_LEARNING_", extra="ignore", frozen=True)

    video_completion_share: float = Field(default=0.9, gt=0, le=1)
    heartbeat_tolerance_seconds: int = Field(default=5, ge=0, le=120)
    activity_touch_seconds: int = Field(default=60, ge=1, le=3600)
    bulk_max_bytes: int = Field(default=512 * 1024, ge=1024)
    bulk_max_rows: int = Field(default=5000, ge=1)
    export_chunk_rows: int = Field(default=1000, ge=10, le=10_000)
    curriculum_cache_size: int = Field(default=512, ge=1)

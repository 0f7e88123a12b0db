"""The settings learning's services follow, read once from ``campus.config.Settings``."""

from __future__ import annotations

import math
from dataclasses import dataclass

from campus.config import Settings
from campus.learning.settings import LearningSettings


@dataclass(frozen=True, slots=True)
class Rules:
    """The settings learning's services follow (built from ``campus.config.Settings``)."""

    video_completion_share: float = 0.9
    heartbeat_tolerance_seconds: int = 5
    activity_touch_seconds: int = 60
    bulk_max_bytes: int = 512 * 1024
    bulk_max_rows: int = 5000
    export_chunk_rows: int = 1000

    @classmethod
    def from_settings(cls, settings: Settings) -> Rules:
        return cls(
            video_completion_share=LearningSettings.of(settings).video_completion_share,
            heartbeat_tolerance_seconds=LearningSettings.of(settings).heartbeat_tolerance_seconds,
            activity_touch_seconds=LearningSettings.of(settings).activity_touch_seconds,
            bulk_max_bytes=LearningSettings.of(settings).bulk_max_bytes,
            bulk_max_rows=LearningSettings.of(settings).bulk_max_rows,
            export_chunk_rows=LearningSettings.of(settings).export_chunk_rows,
        )

    def required_seconds(self, duration: int) -> int:
        """Watched seconds that complete a video of ``duration`` seconds."""
        return math.ceil(duration * self.video_completion_share)

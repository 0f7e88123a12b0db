"""Upload and answer limits of assessment's routes: the upload paths the body-size middleware
lets through, and the per-request limits dependency."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from campus.assessment.settings import AssessmentSettings
from campus.config import Settings
from campus.kernel.ratelimit import RateLimiter
from campus.kernel.storage import LocalFileStorage, refusals_limited

#: Upload routes: the kernel middleware lets their bodies reach ``upload_max_bytes`` (plus the
#: multipart framing) instead of the global ``max_body_bytes``.
UPLOAD_PATHS = re.compile(
    r"^/api/v1/(submissions/[^/]+/files|(assignments|exams)/[^/]+/resources)/?$"
)


@dataclass(frozen=True, slots=True)
class Limits:
    grace_seconds: int
    upload_max_bytes: int
    files: LocalFileStorage
    limiter: RateLimiter
    refusals_per_hour: int

    def refusals(self, user_id: object) -> contextlib.AbstractAsyncContextManager[None]:
        """Around an upload: a refused file counts against the uploader, who is a 429 (before
        any inspection) after ``CAMPUS_UPLOAD_REFUSALS_PER_HOUR`` of them."""
        return refusals_limited(self.limiter, str(user_id), self.refusals_per_hour)


async def _limits(request: Request) -> Limits:
    settings: Settings = request.app.state.settings
    return Limits(
        grace_seconds=AssessmentSettings.of(settings).answer_grace_seconds,
        upload_max_bytes=settings.upload_max_bytes,
        files=request.app.state.storage,
        limiter=request.app.state.limiter,
        refusals_per_hour=settings.upload_refusals_per_hour,
    )


AssessmentLimits = Annotated[Limits, Depends(_limits)]

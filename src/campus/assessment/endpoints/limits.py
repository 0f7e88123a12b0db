"""Upload and answer limits of assessment's routes: the upload paths the body-size middleware
lets through, and the per-request limits dependency."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from campus.assessment.settings import AssessmentSettings
from campus.config import Settings
from campus.kernel.storage import LocalFileStorage

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


async def _limits(request: Request) -> Limits:
    settings: Settings = request.app.state.settings
    return Limits(
        grace_seconds=AssessmentSettings.of(settings).answer_grace_seconds,
        upload_max_bytes=settings.upload_max_bytes,
        files=request.app.state.storage,
    )


AssessmentLimits = Annotated[Limits, Depends(_limits)]

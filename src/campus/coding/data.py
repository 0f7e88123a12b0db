"""Coding exercises' public data: enums and frozen DTOs other contexts may import."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from campus.kernel.module import Permission

# --------------------------------------------------------------------------- permissions

SANDBOX_ADMIN: Final = "sandbox:admin"

PERMISSIONS: Final[tuple[Permission, ...]] = (
    Permission(SANDBOX_ADMIN, "Administer the graded-code sandbox."),
)


class CodeSubmissionStatus(StrEnum):
    """Seed 003 ``SubmissionStatus``. ``ERROR`` means Campus could not grade the code (an
    infrastructure problem); code that crashes or is wrong is ``FAILED``."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    PASSED = "PASSED"
    FAILED = "FAILED"
    ERROR = "ERROR"


FINAL_STATUSES = frozenset(
    {CodeSubmissionStatus.PASSED, CodeSubmissionStatus.FAILED, CodeSubmissionStatus.ERROR}
)


class ExerciseStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class CodeLanguage(StrEnum):
    PYTHON = "python"
    JAVASCRIPT = "javascript"


class TestKind(StrEnum):
    """``stdio``: feed ``input`` on stdin, compare stdout; ``function``: call
    ``solve(*input)`` and compare the return value."""

    __test__ = False

    STDIO = "stdio"
    FUNCTION = "function"


class Comparison(StrEnum):
    EXACT = "exact"
    WHITESPACE = "whitespace"
    NUMERIC = "numeric"


@dataclass(frozen=True, slots=True)
class CodeExerciseSummary:
    id: uuid.UUID
    course_id: uuid.UUID
    module_id: uuid.UUID | None
    lesson_id: uuid.UUID | None
    title: str
    language: CodeLanguage
    max_score: int
    status: ExerciseStatus


@dataclass(frozen=True, slots=True)
class CodeResult:
    """A learner's best graded submission on one exercise."""

    exercise_id: uuid.UUID
    submissions: int
    best_score: Decimal | None
    passed: bool

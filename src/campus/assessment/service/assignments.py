"""Assignments and exams: authoring, resources (instructors' files) and what learners see."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic.alias_generators import to_camel
from sqlalchemy.ext.asyncio import AsyncSession

from campus.assessment.data import (
    AssessmentKind,
    LatePolicy,
    PublicationStatus,
    SubmissionType,
)
from campus.assessment.exceptions import AssignmentNotFound
from campus.assessment.models import Assignment, StoredFile
from campus.assessment.repository import assignments as repo
from campus.assessment.service import access, storage
from campus.assessment.service.records import (
    AssignmentRecord,
    FileRecord,
    RubricCriterion,
    RubricLevel,
)
from campus.catalog import api as catalog
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import field_error
from campus.kernel.ids import new_id
from campus.kernel.pagination import PageParams
from campus.kernel.storage import LocalFileStorage

_DEFAULTS: dict[str, Any] = {
    "max_marks": 100,
    "passing_marks": 50,
    "late_policy": LatePolicy.ACCEPT.value,
    "late_penalty_percent_per_day": 0,
    "submission_types": [SubmissionType.TEXT.value],
    "allowed_file_types": ["pdf", "zip", "png", "jpeg", "text", "docx"],
    "max_files": 5,
    "weight": 1,
    "status": PublicationStatus.DRAFT.value,
}
_NOT_NULL = (
    "title",
    "max_marks",
    "passing_marks",
    "late_policy",
    "late_penalty_percent_per_day",
    "submission_types",
    "allowed_file_types",
    "max_file_bytes",
    "max_files",
    "weight",
    "status",
    "rubric",
)


def file_record(file: StoredFile) -> FileRecord:
    return FileRecord(
        id=file.id,
        name=file.name,
        content_type=file.content_type,
        size_bytes=file.size_bytes,
        sha256=file.sha256,
        created_at=file.created_at,
    )


def assignment_record(assignment: Assignment, resources: Sequence[StoredFile]) -> AssignmentRecord:
    return AssignmentRecord(
        id=assignment.id,
        kind=AssessmentKind(assignment.kind),
        course_id=assignment.course_id,
        module_id=assignment.module_id,
        lesson_id=assignment.lesson_id,
        title=assignment.title,
        instructions=assignment.instructions,
        status=PublicationStatus(assignment.status),
        due_at=assignment.due_at,
        max_marks=assignment.max_marks,
        passing_marks=assignment.passing_marks,
        late_policy=LatePolicy(assignment.late_policy),
        late_penalty_percent_per_day=assignment.late_penalty_percent_per_day,
        submission_types=tuple(SubmissionType(t) for t in assignment.submission_types),
        allowed_file_types=tuple(assignment.allowed_file_types),
        max_file_bytes=assignment.max_file_bytes,
        max_files=assignment.max_files,
        max_submissions=assignment.max_submissions,
        duration_minutes=assignment.duration_minutes,
        rubric=tuple(
            RubricCriterion(
                id=c["id"],
                title=c["title"],
                description=c.get("description"),
                levels=tuple(
                    RubricLevel(
                        label=level["label"],
                        points=level["points"],
                        description=level.get("description"),
                    )
                    for level in c["levels"]
                ),
            )
            for c in assignment.rubric or []
        ),
        weight=assignment.weight,
        resources=tuple(file_record(f) for f in resources),
        created_at=assignment.created_at,
        updated_at=assignment.updated_at,
    )


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key == "rubric" and value is not None:
            out[key] = [{"id": f"c{i + 1}", **criterion} for i, criterion in enumerate(value)]
        elif isinstance(value, list):
            out[key] = [getattr(v, "value", v) for v in value]
        else:
            out[key] = getattr(value, "value", value)
    return out


def _validate(values: dict[str, Any], kind: AssessmentKind, upload_max: int) -> None:
    if values["passing_marks"] > values["max_marks"]:
        raise field_error("passingMarks", "The pass mark cannot exceed the maximum marks.")
    if values["max_file_bytes"] > upload_max:
        raise field_error("maxFileBytes", f"At most {upload_max} bytes (the upload limit).")
    if kind is AssessmentKind.EXAM and not values.get("duration_minutes"):
        raise field_error("durationMinutes", "An exam needs a duration.")
    rubric_total = sum(max(lv["points"] for lv in c["levels"]) for c in values.get("rubric") or [])
    if rubric_total > values["max_marks"]:
        raise field_error("rubric", "The rubric's best levels add up to more than the marks.")


async def _check_lesson(session: AsyncSession, course_id: uuid.UUID, lesson_id: uuid.UUID) -> None:
    lesson = await catalog.get_lesson_content(session, lesson_id)
    if lesson is None or lesson.course_id != course_id:
        raise field_error("lessonId", "Not a lesson of this course.")


async def create(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    kind: AssessmentKind,
    settings: Mapping[str, Any],
    upload_max: int,
) -> AssignmentRecord:
    """``settings``: the settings that were given, by field name (the rest take their
    defaults); the rubric as criteria with ``title``, ``description`` and ``levels``."""
    await access.course(session, course_id)
    await access.require_staff(session, principal, course_id)
    given = _plain(settings)
    for key in _NOT_NULL:
        if key in given and given[key] is None:
            raise field_error(to_camel(key), "This setting cannot be empty.")
    values = {**_DEFAULTS, "max_file_bytes": min(10 * 1024 * 1024, upload_max), **given}
    if kind is AssessmentKind.EXAM:
        values.setdefault("submission_types", [SubmissionType.FILE.value])
    _validate(values, kind, upload_max)
    if values.get("lesson_id"):
        await _check_lesson(session, course_id, values["lesson_id"])
    assignment = Assignment(
        id=new_id(), kind=kind.value, course_id=course_id, created_by=principal.user_id, **values
    )
    await repo.add(session, assignment)
    if assignment.lesson_id is not None:
        await _link_lesson(session, assignment)
    return assignment_record(assignment, [])


async def _link_lesson(session: AsyncSession, assignment: Assignment) -> None:
    """Point the assignment lesson at the assignment (catalog keeps the id), as quizzes do."""
    assert assignment.lesson_id is not None
    await catalog.set_lesson_assessment(
        session, assignment.lesson_id, course_id=assignment.course_id, assignment_id=assignment.id
    )


async def _staff_assignment(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, kind: AssessmentKind
) -> Assignment:
    assignment = await repo.get_assignment(session, assignment_id, kind.value)
    if assignment is None:
        raise AssignmentNotFound()
    await access.require_staff(session, principal, assignment.course_id)
    return assignment


async def update(
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    kind: AssessmentKind,
    changes: Mapping[str, Any],
    upload_max: int,
) -> AssignmentRecord:
    """``changes``: the settings that were given, by field name (``None`` clears one)."""
    assignment = await _staff_assignment(session, principal, assignment_id, kind)
    changes = _plain(changes)
    for key in _NOT_NULL:
        if key in changes and changes[key] is None:
            raise field_error(to_camel(key), "This setting cannot be empty.")
    merged = {
        c: changes.get(c, getattr(assignment, c))
        for c in ("max_marks", "passing_marks", "max_file_bytes", "duration_minutes", "rubric")
    }
    _validate(merged, kind, upload_max)
    if changes.get("lesson_id"):
        await _check_lesson(session, assignment.course_id, changes["lesson_id"])
    for key, value in changes.items():
        setattr(assignment, key, value)
    assignment.updated_at = utcnow()
    await session.flush()
    if changes.get("lesson_id"):
        await _link_lesson(session, assignment)
    resources = await repo.files_of(session, [assignment.id])
    return assignment_record(assignment, resources[assignment.id])


async def visible(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, kind: AssessmentKind
) -> tuple[Assignment, bool]:
    """The assignment and whether the caller is staff. Drafts are invisible to learners;
    learners who are not enrolled are refused (403)."""
    assignment = await repo.get_assignment(session, assignment_id, kind.value)
    if assignment is None:
        raise AssignmentNotFound()
    if await access.is_staff(session, principal, assignment.course_id, grading=True):
        return assignment, True
    if assignment.status != PublicationStatus.PUBLISHED.value:
        raise AssignmentNotFound()
    await access.staff_or_enrolled(session, principal, assignment.course_id)
    return assignment, False


async def get(
    session: AsyncSession, principal: Principal, assignment_id: uuid.UUID, kind: AssessmentKind
) -> AssignmentRecord:
    assignment, _ = await visible(session, principal, assignment_id, kind)
    resources = await repo.files_of(session, [assignment.id])
    return assignment_record(assignment, resources[assignment.id])


async def list_for_course(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    kind: AssessmentKind,
    params: PageParams,
) -> tuple[list[AssignmentRecord], int]:
    await access.course(session, course_id)
    staff = await access.staff_or_enrolled(session, principal, course_id)
    rows, total = await repo.assignment_page(
        session,
        course_id,
        kind=kind.value,
        published_only=not staff,
        offset=params.offset,
        limit=params.limit,
    )
    resources = await repo.files_of(session, [a.id for a in rows])
    return [assignment_record(a, resources[a.id]) for a in rows], total


async def add_resource(
    session: AsyncSession,
    principal: Principal,
    assignment_id: uuid.UUID,
    kind: AssessmentKind,
    upload: storage.Readable,
    client_name: str | None,
    files: LocalFileStorage,
    upload_max: int,
) -> FileRecord:
    assignment = await _staff_assignment(session, principal, assignment_id, kind)
    name = storage.safe_name(client_name)
    stored = await storage.store(
        files,
        upload,
        max_bytes=upload_max,
        allowed=frozenset(storage.FILE_TYPES),
        client_name=name,
    )
    record = StoredFile(
        id=stored.id,
        owner_type="resource",
        owner_id=assignment.id,
        assignment_id=assignment.id,
        course_id=assignment.course_id,
        uploaded_by=principal.user_id,
        name=name,
        content_type=stored.content_type,
        size_bytes=stored.size,
        sha256=stored.sha256,
    )
    await repo.add(session, record)
    return file_record(record)

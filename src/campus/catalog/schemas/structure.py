"""Module and lesson wire models."""

from __future__ import annotations

import uuid

from pydantic import Field, field_validator

from campus.catalog.data import ContentUrlType, LessonStatus, LessonType
from campus.catalog.schemas.fields import LongText, Markdown, Minutes, Title
from campus.kernel.schemas import ApiModel, InputModel, WebUrl

MAX_CHILDREN = 500


class ContentUrlIn(InputModel):
    type: ContentUrlType
    url: WebUrl


class AttachmentIn(InputModel):
    name: str = Field(min_length=1, max_length=200)
    url: WebUrl
    size_bytes: int | None = Field(default=None, ge=0, le=10 * 1024**3)
    mime_type: str | None = Field(
        default=None, max_length=120, pattern=r"^[A-Za-z0-9.+-]+/[A-Za-z0-9.+-]+$"
    )


class ModuleCreate(InputModel):
    title: Title
    description: LongText | None = None
    estimated_minutes: Minutes | None = None
    is_locked: bool = False
    is_sequential: bool = False


class ModuleUpdate(InputModel):
    title: Title | None = None
    description: LongText | None = None
    estimated_minutes: Minutes | None = None
    is_locked: bool | None = None
    is_sequential: bool | None = None


class _LessonFields(InputModel):
    status: LessonStatus | None = None
    body: Markdown | None = None
    content_urls: list[ContentUrlIn] | None = Field(default=None, max_length=20)
    video_url: WebUrl | None = None
    video_duration_seconds: int | None = Field(default=None, ge=0, le=24 * 3600)
    presentation_url: WebUrl | None = None
    attachments: list[AttachmentIn] | None = Field(default=None, max_length=20)
    quiz_id: uuid.UUID | None = None
    assignment_id: uuid.UUID | None = None
    is_preview: bool | None = None
    is_required: bool | None = None
    estimated_minutes: Minutes | None = None


class LessonCreate(_LessonFields):
    title: Title
    type: LessonType


class LessonUpdate(_LessonFields):
    title: Title | None = None
    type: LessonType | None = None


class ReorderRequest(InputModel):
    """The complete new order: every current item exactly once (ids or lineage ids)."""

    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_CHILDREN)

    @field_validator("ids")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID]) -> list[uuid.UUID]:
        if len(set(value)) != len(value):
            raise ValueError("ids must not repeat")
        return value


class MoveLessonRequest(InputModel):
    target_module_id: uuid.UUID
    #: 0-based position in the target module; omitted means at the end.
    position: int | None = Field(default=None, ge=0, le=MAX_CHILDREN)


class ModuleTranslationIn(InputModel):
    title: Title
    description: LongText | None = None


class LessonTranslationIn(InputModel):
    title: Title
    body: Markdown | None = None


class ContentUrlOut(ApiModel):
    type: ContentUrlType
    url: str


class AuthoringAttachmentOut(ApiModel):
    name: str
    url: str
    size_bytes: int | None = None
    mime_type: str | None = None


class LessonOutlineOut(ApiModel):
    """A lesson in the public outline; content only for preview lessons."""

    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    language: str
    type: LessonType
    position: int
    duration_seconds: int
    is_preview: bool
    is_required: bool
    body: str | None = None
    video_url: str | None = None
    content_urls: list[ContentUrlOut] | None = None


class ModuleOutlineOut(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    title: str
    language: str
    description: str | None = None
    position: int
    estimated_minutes: int | None = None
    is_locked: bool
    is_sequential: bool
    duration_seconds: int
    lessons: list[LessonOutlineOut]


class TranslationRef(ApiModel):
    language: str
    title: str


class AuthoringLessonOut(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    module_id: uuid.UUID
    version_id: uuid.UUID
    position: int
    title: str
    type: LessonType
    status: LessonStatus
    body: str | None = None
    content_urls: list[ContentUrlOut]
    video_url: str | None = None
    video_duration_seconds: int | None = None
    presentation_url: str | None = None
    attachments: list[AuthoringAttachmentOut]
    quiz_id: uuid.UUID | None = None
    assignment_id: uuid.UUID | None = None
    is_preview: bool
    is_required: bool
    estimated_minutes: int | None = None
    duration_seconds: int
    translations: list[TranslationRef]


class AuthoringModuleOut(ApiModel):
    id: uuid.UUID
    lineage_id: uuid.UUID
    version_id: uuid.UUID
    position: int
    title: str
    description: str | None = None
    estimated_minutes: int | None = None
    is_locked: bool
    is_sequential: bool
    duration_seconds: int
    translations: list[TranslationRef]
    lessons: list[AuthoringLessonOut]


class OrderOut(ApiModel):
    """The resulting order after a reorder or move."""

    version_id: uuid.UUID
    ids: list[uuid.UUID]


class MoveOut(ApiModel):
    lesson: AuthoringLessonOut
    source_module_order: list[uuid.UUID]
    target_module_order: list[uuid.UUID]

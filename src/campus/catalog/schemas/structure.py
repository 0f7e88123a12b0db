"""Module and lesson wire models (responses built from the service's records with
``XOut.of(record)``)."""

from __future__ import annotations

import uuid

from pydantic import Field, field_validator

from campus.catalog.data import Attachment, ContentUrl, ContentUrlType, LessonStatus, LessonType
from campus.catalog.schemas.fields import LongText, Markdown, Minutes, Title
from campus.catalog.service.records import (
    LessonRecord,
    ModuleRecord,
    MoveRecord,
    OrderRecord,
    TranslationLabel,
)
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

    @classmethod
    def of(cls, content: ContentUrl) -> ContentUrlOut:
        return cls(type=content.type, url=content.url)


class AuthoringAttachmentOut(ApiModel):
    name: str
    url: str
    size_bytes: int | None = None
    mime_type: str | None = None

    @classmethod
    def of(cls, attachment: Attachment) -> AuthoringAttachmentOut:
        return cls(
            name=attachment.name,
            url=attachment.url,
            size_bytes=attachment.size_bytes,
            mime_type=attachment.mime_type,
        )


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

    @classmethod
    def of(cls, label: TranslationLabel) -> TranslationRef:
        return cls(language=label.language, title=label.title)


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

    @classmethod
    def of(cls, lesson: LessonRecord) -> AuthoringLessonOut:
        return cls(
            id=lesson.id,
            lineage_id=lesson.lineage_id,
            module_id=lesson.module_id,
            version_id=lesson.version_id,
            position=lesson.position,
            title=lesson.title,
            type=lesson.type,
            status=lesson.status,
            body=lesson.body,
            content_urls=[ContentUrlOut.of(u) for u in lesson.content_urls],
            video_url=lesson.video_url,
            video_duration_seconds=lesson.video_duration_seconds,
            presentation_url=lesson.presentation_url,
            attachments=[AuthoringAttachmentOut.of(a) for a in lesson.attachments],
            quiz_id=lesson.quiz_id,
            assignment_id=lesson.assignment_id,
            is_preview=lesson.is_preview,
            is_required=lesson.is_required,
            estimated_minutes=lesson.estimated_minutes,
            duration_seconds=lesson.duration_seconds,
            translations=[TranslationRef.of(t) for t in lesson.translations],
        )


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

    @classmethod
    def of(cls, module: ModuleRecord) -> AuthoringModuleOut:
        return cls(
            id=module.id,
            lineage_id=module.lineage_id,
            version_id=module.version_id,
            position=module.position,
            title=module.title,
            description=module.description,
            estimated_minutes=module.estimated_minutes,
            is_locked=module.is_locked,
            is_sequential=module.is_sequential,
            duration_seconds=module.duration_seconds,
            translations=[TranslationRef.of(t) for t in module.translations],
            lessons=[AuthoringLessonOut.of(x) for x in module.lessons],
        )


class OrderOut(ApiModel):
    """The resulting order after a reorder or move."""

    version_id: uuid.UUID
    ids: list[uuid.UUID]

    @classmethod
    def of(cls, order: OrderRecord) -> OrderOut:
        return cls(version_id=order.version_id, ids=list(order.ids))


class MoveOut(ApiModel):
    lesson: AuthoringLessonOut
    source_module_order: list[uuid.UUID]
    target_module_order: list[uuid.UUID]

    @classmethod
    def of(cls, move: MoveRecord) -> MoveOut:
        return cls(
            lesson=AuthoringLessonOut.of(move.lesson),
            source_module_order=list(move.source_module_order),
            target_module_order=list(move.target_module_order),
        )

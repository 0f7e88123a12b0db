"""Credentials' wire models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field

from campus.credentials.service.records import (
    BadgeRecord,
    CertificateRecord,
    Download,
    Verification,
)
from campus.kernel.schemas import LANGUAGE_TAG_PATTERN, ApiModel, InputModel


class CertificateOut(ApiModel):
    id: uuid.UUID
    public_id: str
    number: str
    verification_code: str
    user_id: uuid.UUID
    course_id: uuid.UUID
    version_id: uuid.UUID
    status: Literal["pending", "issued", "rejected", "revoked"]
    learner_name: str
    course_title: str
    language: str
    completed_at: datetime
    issued_at: datetime | None
    expires_at: datetime | None
    score: str | None
    grade: str | None
    hours: str | None
    is_public: bool
    revoked_at: datetime | None
    revocation_reason: str | None
    rejection_reason: str | None
    revision: int
    render_status: Literal["queued", "ready", "failed"]

    @classmethod
    def of(cls, record: CertificateRecord) -> CertificateOut:
        return cls.model_validate(record)


class CertificateVisibilityIn(InputModel):
    is_public: bool = Field(description="False: the certificate verifies only with its code.")


class ReasonIn(InputModel):
    reason: str = Field(min_length=3, max_length=500)


class DownloadOut(ApiModel):
    url: str
    expires_at: datetime

    @classmethod
    def of(cls, download: Download) -> DownloadOut:
        return cls(url=download.url, expires_at=download.expires_at)


class ShareOut(ApiModel):
    verification_url: str
    linkedin_url: str = Field(description="LinkedIn's add-to-profile link with the certificate.")


class HistoryEntryOut(ApiModel):
    action: str
    at: datetime
    detail: dict[str, Any]


class CertificateHistoryOut(ApiModel):
    certificate_id: uuid.UUID
    entries: list[HistoryEntryOut]


class VerificationOut(ApiModel):
    """What anyone may see of a certificate; nothing more."""

    public_id: str
    number: str
    learner_name: str
    course_title: str
    issuer: str
    issued_at: datetime
    expires_at: datetime | None
    state: Literal["valid", "expired", "revoked"]
    revoked_at: datetime | None
    revocation_reason: str | None

    @classmethod
    def of(cls, view: Verification) -> VerificationOut:
        return cls.model_validate(view)


class VerifyCodeIn(InputModel):
    code: str = Field(min_length=4, max_length=40)


class CertificateRuleIn(InputModel):
    awards: bool = True
    min_average_quiz_score: int | None = Field(default=None, ge=0, le=100)
    required_item_ids: list[uuid.UUID] = Field(default_factory=list, max_length=200)
    manual_approval: bool = False
    template_id: uuid.UUID | None = None
    valid_months: int | None = Field(default=None, ge=1, le=240)
    badge_module_ids: list[uuid.UUID] = Field(
        default_factory=list,
        max_length=200,
        description="Modules (lineage ids) of the version whose completion awards a badge.",
    )
    track_badge: bool = Field(
        default=False,
        description="Completing the course awards its track badge (a course that is a track).",
    )


class CertificateRuleOut(ApiModel):
    course_id: uuid.UUID
    version_id: uuid.UUID
    awards: bool
    min_average_quiz_score: int | None
    required_item_ids: list[uuid.UUID]
    manual_approval: bool
    template_id: uuid.UUID | None
    valid_months: int | None
    badge_module_ids: list[uuid.UUID]
    track_badge: bool


class BadgeOut(ApiModel):
    """A module or track badge (its Open Badges 3.0 credential at ``.../credential``)."""

    id: uuid.UUID
    kind: Literal["module", "track"]
    subject_id: uuid.UUID
    course_id: uuid.UUID
    name: str
    course_title: str
    issued_at: datetime

    @classmethod
    def of(cls, record: BadgeRecord) -> BadgeOut:
        return cls.model_validate(record)


HexColour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
LanguageKey = Annotated[str, Field(pattern=LANGUAGE_TAG_PATTERN)]


class TemplateTextIn(InputModel):
    title: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=2000)
    footer: str | None = Field(default=None, max_length=500)


class SignerIn(InputModel):
    name: str = Field(min_length=1, max_length=120)
    title: str = Field(default="", max_length=120)


class TemplateColoursIn(InputModel):
    primary: HexColour | None = None
    text: HexColour | None = None
    accent: HexColour | None = None


class TemplateIn(InputModel):
    name: str = Field(min_length=1, max_length=120)
    course_id: uuid.UUID | None = None
    orientation: Literal["landscape", "portrait"] = "landscape"
    page_size: Literal["A4", "Letter"] = "A4"
    colours: TemplateColoursIn = Field(default_factory=TemplateColoursIn)
    texts: dict[LanguageKey, TemplateTextIn] = Field(default_factory=dict, max_length=30)
    default_language: LanguageKey = "en"
    signers: list[SignerIn] = Field(default_factory=list, max_length=3)

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "course_id": self.course_id,
            "orientation": self.orientation,
            "page_size": self.page_size,
            "colours": self.colours.model_dump(exclude_none=True),
            "texts": {k: v.model_dump(exclude_none=True) for k, v in self.texts.items()},
            "default_language": self.default_language,
            "signers": [s.model_dump() for s in self.signers],
        }


class TemplateOut(ApiModel):
    id: uuid.UUID
    name: str
    owner_id: uuid.UUID
    course_id: uuid.UUID | None
    orientation: str
    page_size: str
    colours: dict[str, str]
    texts: dict[str, dict[str, str]]
    default_language: str
    signers: list[dict[str, str]]
    images: dict[str, str] = Field(description="Image kind -> stored file id")
    created_at: datetime
    updated_at: datetime


class ReissueRunOut(ApiModel):
    id: uuid.UUID
    template_id: uuid.UUID
    status: Literal["running", "done"]
    total: int
    done: int
    reason: str
    created_at: datetime

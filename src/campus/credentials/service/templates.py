"""Certificate templates: admins manage any, instructors those of the courses they teach.
Texts may only use the known placeholders (``rendering.PLACEHOLDERS``)."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.credentials import policies
from campus.credentials.data import CERTIFICATE_MANAGE_ANY
from campus.credentials.models import CertificateTemplate
from campus.credentials.service.rendering import PLACEHOLDERS, Sheet, placeholders_in, render_pdf
from campus.credentials.settings import CredentialsSettings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, NotFound, ValidationFailed
from campus.kernel.ids import new_id
from campus.kernel.storage import LocalFileStorage, Readable, safe_name


@dataclass(frozen=True, slots=True)
class TemplateRecord:
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
    images: dict[str, str]
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: CertificateTemplate) -> TemplateRecord:
        return cls(
            row.id,
            row.name,
            row.owner_id,
            row.course_id,
            row.orientation,
            row.page_size,
            dict(row.colours),
            {k: dict(v) for k, v in row.texts.items()},
            row.default_language,
            [dict(s) for s in row.signers],
            dict(row.images or {}),
            row.created_at,
            row.updated_at,
        )


def check_texts(texts: dict[str, dict[str, str]]) -> None:
    problems: dict[str, Any] = {}
    for language, parts in texts.items():
        for part, text in parts.items():
            try:
                unknown = placeholders_in(text) - PLACEHOLDERS
            except ValueError:
                problems[f"texts.{language}.{part}"] = "Unbalanced braces."
                continue
            if unknown:
                problems[f"texts.{language}.{part}"] = "Unknown placeholders: " + ", ".join(
                    sorted(unknown)
                )
    if problems:
        raise ValidationFailed(
            "The template's text uses unknown placeholders.",
            code="unknown_placeholder",
            details={"fields": problems, "allowed": sorted(PLACEHOLDERS)},
        )


async def _may_manage(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID | None
) -> None:
    if principal.has(CERTIFICATE_MANAGE_ANY):
        return
    if course_id is None or not await policies.is_course_staff(session, principal, course_id):
        raise Forbidden(details={"permission": CERTIFICATE_MANAGE_ANY})


async def _get(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID
) -> CertificateTemplate:
    row = await session.get(CertificateTemplate, template_id)
    if row is None:
        raise NotFound(code="template_not_found", message="No such certificate template.")
    if not principal.has(CERTIFICATE_MANAGE_ANY) and (
        row.course_id is None
        or not await policies.is_course_staff(session, principal, row.course_id)
    ):
        raise NotFound(code="template_not_found", message="No such certificate template.")
    return row


async def create(
    session: AsyncSession, principal: Principal, values: dict[str, Any]
) -> TemplateRecord:
    await _may_manage(session, principal, values.get("course_id"))
    check_texts(values["texts"])
    now = utcnow()
    row = CertificateTemplate(
        id=new_id(), owner_id=principal.user_id, created_at=now, updated_at=now, **values
    )
    session.add(row)
    await session.flush()
    return TemplateRecord.of(row)


async def update(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID, values: dict[str, Any]
) -> TemplateRecord:
    row = await _get(session, principal, template_id)
    if "texts" in values:
        check_texts(values["texts"])
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    await session.flush()
    return TemplateRecord.of(row)


async def get(
    session: AsyncSession, principal: Principal, template_id: uuid.UUID
) -> TemplateRecord:
    return TemplateRecord.of(await _get(session, principal, template_id))


async def delete(session: AsyncSession, principal: Principal, template_id: uuid.UUID) -> None:
    row = await _get(session, principal, template_id)
    await session.delete(row)
    await session.flush()


async def list_templates(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID | None,
    limit: int,
    offset: int,
) -> tuple[list[TemplateRecord], int]:
    where: list[sa.ColumnElement[bool]] = []
    if course_id is not None:
        where.append(CertificateTemplate.course_id == course_id)
    if not principal.has(CERTIFICATE_MANAGE_ANY) and (
        course_id is None or not await policies.is_course_staff(session, principal, course_id)
    ):
        raise Forbidden(details={"permission": CERTIFICATE_MANAGE_ANY})
    total = await session.scalar(
        sa.select(sa.func.count()).select_from(CertificateTemplate).where(*where)
    )
    rows = await session.execute(
        sa.select(CertificateTemplate)
        .where(*where)
        .order_by(CertificateTemplate.created_at.desc(), CertificateTemplate.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [TemplateRecord.of(r) for r in rows.scalars()], int(total or 0)


SAMPLE = {
    "learner_name": "Zoë Ångström-Łukasiewicz",
    "course_title": "Sample course",
    "completion_date": "2026-01-31",
    "issue_date": "2026-02-01",
    "score": "92.50",
    "grade": "A",
    "hours": "12.5",
    "instructor_names": "Ada Lovelace",
    "certificate_number": "CAMPUS-2026-SAMPLE",
    "issuer_name": "Campus",
}


def texts_for(
    texts: dict[str, dict[str, str]], language: str | None, default_language: str
) -> dict[str, str] | None:
    """The template's texts in ``language`` (exact tag, then its primary language: a learner in
    ``pt-BR`` gets ``pt``), else in the template's default language, else ``None``."""
    if language:
        for tag in (language, language.split("-")[0]):
            for key, value in texts.items():
                if key.lower() == tag.lower():
                    return value
    return texts.get(default_language)


async def preview(
    session: AsyncSession,
    settings: Settings,
    storage: LocalFileStorage,
    principal: Principal,
    template_id: uuid.UUID,
    language: str | None,
) -> bytes:
    """The template drawn with sample data, as a PDF (nothing stored)."""
    row = await _get(session, principal, template_id)
    images = await asyncio.to_thread(load_images, storage, dict(row.images or {}))
    texts = texts_for(row.texts, language, row.default_language)
    url = settings.base_url.rstrip("/") + "/verify/SAMPLE"
    base = Sheet(values={}, verification_url="")
    sheet = Sheet(
        values={**SAMPLE, "verification_url": url},
        verification_url=url,
        texts={**base.texts, **(texts or {})},
        colours={**base.colours, **row.colours},
        orientation=row.orientation,
        page_size=row.page_size,
        signers=tuple((s.get("name", ""), s.get("title", "")) for s in row.signers),
        title=f"Preview: {row.name}",
        images=images,
    )
    font_dirs = CredentialsSettings.of(settings).font_dirs
    return await asyncio.to_thread(render_pdf, sheet, font_dirs)


#: Template images: stored in the ``credentials`` area, PNG or JPEG by content, at most
#: ``IMAGE_MAX_BYTES`` and ``IMAGE_MAX_PIXELS`` (a small file may decode to a huge bitmap).
IMAGE_KINDS = ("background", "logo", "signature")
IMAGE_MAX_BYTES = 2 * 1_048_576
IMAGE_MAX_PIXELS = 4000 * 4000
AREA = "credentials"


def _pixels(path: Path) -> int | None:
    """Width x height from the header, or ``None`` when Pillow cannot read it. Blocking."""
    try:
        with Image.open(path) as image:
            width, height = image.size
            return int(width) * int(height)
    except (OSError, Image.DecompressionBombError):
        return None


async def set_image(
    session: AsyncSession,
    storage: LocalFileStorage,
    principal: Principal,
    template_id: uuid.UUID,
    kind: str,
    upload: Readable,
    client_name: str | None,
) -> TemplateRecord:
    row = await _get(session, principal, template_id)
    stored = await storage.save(
        AREA,
        upload,
        max_bytes=IMAGE_MAX_BYTES,
        allowed=frozenset({"png", "jpeg"}),
        client_name=safe_name(client_name),
    )
    pixels = await asyncio.to_thread(_pixels, storage.path(AREA, stored.id))
    if pixels is None or pixels > IMAGE_MAX_PIXELS:
        storage.delete(AREA, stored.id)
        raise ValidationFailed(
            "The image is unreadable or larger than 4000 x 4000 pixels.",
            code="image_too_large",
            details={"maxPixels": IMAGE_MAX_PIXELS},
        )
    images = dict(row.images or {})
    previous = images.get(kind)
    images[kind] = stored.id.hex
    row.images = images
    row.updated_at = utcnow()
    await session.flush()
    if previous:
        storage.delete(AREA, uuid.UUID(hex=previous))
    return TemplateRecord.of(row)


def load_images(storage: LocalFileStorage, images: dict[str, str]) -> dict[str, bytes]:
    """The template's images as bytes (a file gone missing is left out). Blocking."""
    found: dict[str, bytes] = {}
    for kind, hex_id in (images or {}).items():
        handle = storage.open(AREA, uuid.UUID(hex=hex_id))
        if handle is not None:
            with handle:
                found[kind] = handle.read()
    return found

"""The rendering job: draw a certificate's PDF and PNG off the event loop, store them through
the kernel's storage, and mark the certificate ready (unless a newer revision was queued)."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.config import Settings
from campus.credentials.models import Certificate, CertificateTemplate
from campus.credentials.repository import certificates as repo
from campus.credentials.service import badges
from campus.credentials.service.rendering import Sheet, render_pdf, render_png
from campus.credentials.service.templates import load_images, texts_for
from campus.credentials.settings import CredentialsSettings
from campus.identity import api as identity
from campus.kernel.clock import utcnow
from campus.kernel.storage import LocalFileStorage

log = logging.getLogger(__name__)
AREA = "credentials"


class _Bytes:
    def __init__(self, data: bytes) -> None:
        self._stream = io.BytesIO(data)

    async def read(self, size: int = -1) -> bytes:
        return self._stream.read(size)


def sheet_for(
    settings: Settings,
    row: Certificate,
    template: CertificateTemplate | None,
    instructor_names: str,
    images: dict[str, bytes] | None = None,
) -> Sheet:
    details: dict[str, Any] = row.details or {}
    issued = row.issued_at or row.created_at
    url = badges.verify_url(settings, row.public_id)
    values = {
        "learner_name": row.learner_name,
        "course_title": row.course_title,
        "completion_date": row.completed_at.date().isoformat(),
        "issue_date": issued.date().isoformat(),
        "score": str(details.get("score") or ""),
        "grade": str(details.get("grade") or ""),
        "hours": str(details.get("hours") or ""),
        "instructor_names": instructor_names,
        "certificate_number": row.number,
        "verification_url": url,
        "issuer_name": CredentialsSettings.of(settings).issuer_name,
    }
    if template is None:
        return Sheet(values=values, verification_url=url, title=f"Certificate {row.number}")
    texts = texts_for(template.texts, row.language, template.default_language)
    return Sheet(
        values=values,
        verification_url=url,
        texts={**Sheet(values={}, verification_url="").texts, **(texts or {})},
        colours={**Sheet(values={}, verification_url="").colours, **template.colours},
        orientation=template.orientation,
        page_size=template.page_size,
        signers=tuple((s.get("name", ""), s.get("title", "")) for s in template.signers),
        title=f"Certificate {row.number}",
        images=images or {},
    )


async def render(
    session: AsyncSession,
    settings: Settings,
    storage: LocalFileStorage,
    certificate_id: uuid.UUID,
    revision: int,
) -> bool:
    row = await repo.get(session, certificate_id)
    if row is None or row.revision != revision or row.status not in ("issued", "revoked"):
        return False
    previous = (row.pdf_file_id, row.png_file_id)
    template = await repo.get_template(session, row.template_id) if row.template_id else None
    instructors = await catalog.course_instructor_ids(session, row.course_id)
    people = await identity.get_user_summaries(session, list(instructors))
    names = ", ".join(people[i].display_name for i in instructors if i in people)
    images = (
        await asyncio.to_thread(load_images, storage, dict(template.images or {}))
        if template is not None
        else {}
    )
    sheet = sheet_for(settings, row, template, names, images)
    font_dirs = CredentialsSettings.of(settings).font_dirs
    pdf = await asyncio.to_thread(render_pdf, sheet, font_dirs)
    png = await asyncio.to_thread(render_png, sheet, font_dirs)
    name = row.number
    stored_pdf = await storage.save(
        AREA,
        _Bytes(pdf),
        max_bytes=50_000_000,
        allowed=frozenset({"pdf"}),
        client_name=f"{name}.pdf",
    )
    stored_png = await storage.save(
        AREA,
        _Bytes(png),
        max_bytes=50_000_000,
        allowed=frozenset({"png"}),
        client_name=f"{name}.png",
    )
    done = await repo.record_rendered(
        session,
        row.id,
        revision,
        {
            "pdf_file_id": stored_pdf.id,
            "png_file_id": stored_png.id,
            "render_status": "ready",
            "rendered_at": utcnow(),
        },
    )
    if not done:
        storage.delete(AREA, stored_pdf.id)
        storage.delete(AREA, stored_png.id)
        return False
    for old in previous:
        if old is not None:
            storage.delete(AREA, old)
    return True

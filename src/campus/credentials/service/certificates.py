"""A learner's certificates, staff lists and approvals, revocation and reissue, downloads."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.credentials import events, policies
from campus.credentials.data import CERTIFICATE_REVOKE, CertificateStatus
from campus.credentials.exceptions import (
    CertificateNotFound,
    CertificateNotIssued,
    CertificateNotPending,
    CertificateNotRendered,
)
from campus.credentials.models import Certificate
from campus.credentials.repository import certificates as repo
from campus.credentials.service import badges, issuance
from campus.credentials.service.records import CertificateRecord, Download
from campus.credentials.settings import CredentialsSettings
from campus.identity import api as identity
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden
from campus.kernel.events import publish
from campus.kernel.storage import LocalFileStorage

AREA = "credentials"


async def _own(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID
) -> Certificate:
    row = await repo.get(session, certificate_id)
    if row is None or not policies.is_owner(principal, row) or row.status == "rejected":
        raise CertificateNotFound()
    return row


async def _staff(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID
) -> Certificate:
    row = await repo.get(session, certificate_id)
    if row is None or not await policies.is_course_staff(session, principal, row.course_id):
        raise CertificateNotFound()
    return row


async def list_mine(
    session: AsyncSession, principal: Principal, limit: int, offset: int
) -> tuple[list[CertificateRecord], int]:
    rows, total = await repo.list_for_user(session, principal.user_id, limit, offset)
    return [CertificateRecord.of(r) for r in rows], total


async def get_mine(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID
) -> CertificateRecord:
    return CertificateRecord.of(await _own(session, principal, certificate_id))


async def set_public(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID, public: bool
) -> CertificateRecord:
    row = await _own(session, principal, certificate_id)
    await repo.update(session, row.id, {"is_public": public, "updated_at": utcnow()})
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return CertificateRecord.of(fresh)


async def download(
    session: AsyncSession,
    settings: Settings,
    storage: LocalFileStorage,
    principal: Principal,
    certificate_id: uuid.UUID,
    kind: str,
) -> Download:
    row = await _own(session, principal, certificate_id)
    file_id = row.pdf_file_id if kind == "pdf" else row.png_file_id
    if row.status not in ("issued", "revoked") or row.render_status != "ready" or file_id is None:
        raise CertificateNotRendered()
    expires = utcnow() + timedelta(minutes=CredentialsSettings.of(settings).download_url_minutes)
    url = storage.signed_url(
        AREA,
        file_id,
        download_name=f"{row.number}.{kind}",
        file_type=kind,
        expires_at=expires,
    )
    return Download(url, expires)


async def credential_of(
    session: AsyncSession, settings: Settings, principal: Principal, certificate_id: uuid.UUID
) -> dict[str, Any]:
    row = await _own(session, principal, certificate_id)
    if row.status not in ("issued", "revoked"):
        raise CertificateNotFound()
    return await badges.signed_credential(session, settings, row)


async def credential_jwt_of(
    session: AsyncSession, settings: Settings, principal: Principal, certificate_id: uuid.UUID
) -> str:
    row = await _own(session, principal, certificate_id)
    if row.status not in ("issued", "revoked"):
        raise CertificateNotFound()
    return await badges.credential_jwt(session, settings, row)


async def list_for_course(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    status: str | None,
    limit: int,
    offset: int,
) -> tuple[list[CertificateRecord], int]:
    if not await policies.is_course_staff(session, principal, course_id):
        raise Forbidden()
    rows, total = await repo.list_for_course(session, course_id, status, limit, offset)
    return [CertificateRecord.of(r) for r in rows], total


async def approve(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID
) -> CertificateRecord:
    row = await _staff(session, principal, certificate_id)
    now = utcnow()
    terms = await issuance.terms_for(session, row.course_id, row.version_id, True)
    expires = issuance.add_months(now, terms.valid_months) if terms.valid_months else None
    if not await repo.transition(
        session,
        row.id,
        "pending",
        {"status": "issued", "issued_at": now, "expires_at": expires, "updated_at": now},
    ):
        raise CertificateNotPending()
    await repo.add_history(session, row.id, "approved", now, principal.user_id)
    await issuance.issue_effects(session, row.id, now)
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return CertificateRecord.of(fresh)


async def reject(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID, reason: str
) -> CertificateRecord:
    row = await _staff(session, principal, certificate_id)
    now = utcnow()
    if not await repo.transition(
        session,
        row.id,
        "pending",
        {"status": "rejected", "rejection_reason": reason, "updated_at": now},
    ):
        raise CertificateNotPending()
    await repo.add_history(session, row.id, "rejected", now, principal.user_id, {"reason": reason})
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return CertificateRecord.of(fresh)


async def revoke(
    session: AsyncSession,
    principal: Principal | None,
    certificate_id: uuid.UUID,
    reason: str,
) -> CertificateRecord:
    """Revoke an issued certificate (``principal`` ``None``: Campus itself, e.g. after an
    enrollment revoked for cause). Verification shows it at the next request."""
    if principal is not None:
        principal.require(CERTIFICATE_REVOKE)
    row = await repo.get(session, certificate_id)
    if row is None:
        raise CertificateNotFound()
    now = utcnow()
    if not await repo.transition(
        session,
        row.id,
        "issued",
        {"status": "revoked", "revoked_at": now, "revocation_reason": reason, "updated_at": now},
    ):
        raise CertificateNotIssued()
    actor = principal.user_id if principal else None
    await repo.add_history(session, row.id, "revoked", now, actor, {"reason": reason})
    await publish(
        session,
        events.CertificateRevoked(
            certificate_id=row.id,
            public_id=row.public_id,
            user_id=row.user_id,
            course_id=row.course_id,
            reason=reason,
            revoked_at=now,
        ),
    )
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return CertificateRecord.of(fresh)


async def reissue(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID, reason: str
) -> CertificateRecord:
    """Render again with the learner's current name and the current template: same number
    and public id, a new revision, the change in the history."""
    principal.require(CERTIFICATE_REVOKE)
    row = await repo.get(session, certificate_id)
    if row is None:
        raise CertificateNotFound()
    if row.status != CertificateStatus.ISSUED:
        raise CertificateNotIssued()
    user = await identity.get_user_summary(session, row.user_id)
    name = row.learner_name if user is None else user.display_name[:500]
    now = utcnow()
    revision = row.revision + 1
    await repo.update(
        session,
        row.id,
        {"learner_name": name, "revision": revision, "render_status": "queued", "updated_at": now},
    )
    await repo.add_history(
        session,
        row.id,
        "reissued",
        now,
        principal.user_id,
        {"reason": reason, "previousName": row.learner_name, "revision": revision},
    )
    await issuance.queue_render(session, row.id, revision)
    fresh = await repo.get(session, row.id)
    assert fresh is not None
    return CertificateRecord.of(fresh)


async def history_of(
    session: AsyncSession, principal: Principal, certificate_id: uuid.UUID
) -> list[tuple[str, datetime, dict[str, Any]]]:
    row = await repo.get(session, certificate_id)
    if row is None or not (
        policies.is_owner(principal, row)
        or await policies.is_course_staff(session, principal, row.course_id)
    ):
        raise CertificateNotFound()
    return [(h.action, h.at, dict(h.detail)) for h in await repo.history(session, row.id)]


async def revoke_for_cause(session: AsyncSession, user_id: uuid.UUID, course_id: uuid.UUID) -> int:
    revoked = 0
    for row in await repo.issued_for_user_course(session, user_id, course_id):
        await revoke(session, None, row.id, "Enrollment revoked")
        revoked += 1
    return revoked

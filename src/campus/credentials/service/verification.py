"""Public verification: by public id (when the learner has not opted out) or by verification
code. Unknown ids, guessed codes, private certificates looked up by id and certificates not
issued all answer the same 404. Each answer counts one verification (count and last time,
nothing about the verifier)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.credentials.exceptions import CertificateNotFound
from campus.credentials.models import Certificate
from campus.credentials.repository import certificates as repo
from campus.credentials.service import codes
from campus.credentials.service.records import Verification
from campus.credentials.settings import CredentialsSettings
from campus.kernel.clock import utcnow

_PUBLIC_ID_CHARS = frozenset(codes.CROCKFORD)


def _view(settings: Settings, row: Certificate) -> Verification:
    now = utcnow()
    assert row.issued_at is not None
    if row.status == "revoked":
        state = "revoked"
    elif row.expires_at is not None and row.expires_at <= now:
        state = "expired"
    else:
        state = "valid"
    return Verification(
        public_id=row.public_id,
        number=row.number,
        learner_name=row.learner_name,
        course_title=row.course_title,
        issuer=CredentialsSettings.of(settings).issuer_name,
        issued_at=row.issued_at,
        expires_at=row.expires_at,
        state=state,
        revoked_at=row.revoked_at,
        revocation_reason=row.revocation_reason,
    )


async def verify(
    session: AsyncSession, settings: Settings, public_id: str, code: str | None = None
) -> Verification:
    row = None
    if len(public_id) == 26 and set(public_id) <= _PUBLIC_ID_CHARS:
        row = await repo.by_public_id(session, public_id)
    if row is None or row.status not in ("issued", "revoked"):
        raise CertificateNotFound()
    if not row.is_public and (code is None or codes.normalize_code(code) != row.verification_code):
        raise CertificateNotFound()
    await repo.count_verification(session, row.id, utcnow())
    return _view(settings, row)


async def verify_code(session: AsyncSession, settings: Settings, code: str) -> Verification:
    row = await repo.by_code(session, codes.normalize_code(code)[:14])
    if row is None or row.status not in ("issued", "revoked"):
        raise CertificateNotFound()
    await repo.count_verification(session, row.id, utcnow())
    return _view(settings, row)

"""Who may see and change which certificates."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.catalog import api as catalog
from campus.credentials.data import CERTIFICATE_APPROVE, CERTIFICATE_MANAGE_ANY
from campus.credentials.models import Certificate
from campus.kernel.auth import Principal


def is_owner(principal: Principal, certificate: Certificate) -> bool:
    return certificate.user_id == principal.user_id


async def is_course_staff(session: AsyncSession, principal: Principal, course_id: object) -> bool:
    """Admins, or an instructor of the course who holds ``certificate:approve``."""
    if principal.has(CERTIFICATE_MANAGE_ANY):
        return True
    if not principal.has(CERTIFICATE_APPROVE):
        return False
    return await catalog.is_course_staff(session, principal, course_id)  # type: ignore[arg-type]

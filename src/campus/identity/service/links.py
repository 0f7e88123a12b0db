"""Emailed single-use links: verification, password reset and email change.

A link carries an opaque token; only its hash is stored, and issuing a new one for the same
purpose voids the previous one.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.exceptions import InvalidLink
from campus.identity.repository import credentials as creds_repo
from campus.identity.repository import users as users_repo
from campus.identity.service.tokens import hash_opaque, new_opaque_token
from campus.kernel.clock import utcnow

VERIFY_EMAIL = "verify_email"
RESET_PASSWORD = "reset_password"  # noqa: S105  # nosec B105 - a purpose name, not a secret
CHANGE_EMAIL = "change_email"
VERIFY_EMAIL_TTL = timedelta(hours=24)
RESET_PASSWORD_TTL = timedelta(hours=1)
CHANGE_EMAIL_TTL = timedelta(hours=24)


async def issue_action_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purpose: str,
    email: str | None,
    ttl: timedelta,
) -> str:
    """A single-use emailed token; replaces (voids) the user's previous one for ``purpose``."""
    raw, digest = new_opaque_token()
    now = utcnow()
    await creds_repo.put_action_token(
        session,
        user_id=user_id,
        purpose=purpose,
        token_hash=digest,
        email=email,
        now=now,
        expires_at=now + ttl,
    )
    return raw


async def consume_action_token(
    session: AsyncSession, purpose: str, token: str
) -> tuple[users_repo.Account, str | None]:
    """Use an emailed token once and return the account it belongs to."""
    consumed = await creds_repo.consume_action_token(
        session, purpose=purpose, token_hash=hash_opaque(token), now=utcnow()
    )
    if consumed is None:
        raise InvalidLink()
    account = await users_repo.account_by_id(session, consumed[0])
    if account is None or not account.is_active:
        raise InvalidLink()
    return account, consumed[1]

"""Login: password check with brute-force limits, MFA challenge, and starting a session.

* Unknown email and wrong password give the same 401 body, and an unknown email still costs one
  Argon2 verification (against a dummy hash) so timing does not tell them apart (AUTH-06).
* Every attempt counts against the client IP; failures count against the account key. Once an
  account has ``login_failures_per_account_per_hour`` failures, even the right password gets 429
  until the window passes (AUTH-03). The check runs before Argon2, so a locked account costs
  no CPU. The account is read in its own short read-only unit of work, so the Argon2 work never
  holds the request's transaction (SQLite's write lock) open.
* A correct password on a deactivated account gets 403 ``account_deactivated``; on an
  unverified address, when ``CAMPUS_REQUIRE_VERIFIED_EMAIL_FOR`` includes ``login``, 403
  ``email_unverified`` (the password was right, so this tells nothing new).
* With MFA enabled the answer is a challenge (``mfaToken``, 5 minutes) and no tokens.
* ``require_mfa_for_admins``: an admin without MFA is refused with 403
  ``mfa_enrollment_required`` (enrol MFA before turning the setting on; see the module docs of
  ``campus.identity.mfa``).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.repository import credentials as creds_repo
from campus.identity.repository import users as users_repo
from campus.identity.service import ratelimits
from campus.identity.service.devices import device_label
from campus.identity.service.passwords import (
    hash_password,
    needs_rehash,
    verify_against_dummy,
    verify_password,
)
from campus.identity.service.request_context import RequestContext
from campus.identity.service.tokens import (
    IssuedToken,
    issue_access_token,
    issue_mfa_token,
    new_opaque_token,
)
from campus.identity.service.validation import email_key_lenient
from campus.identity.settings import IdentitySettings
from campus.kernel.clock import utcnow
from campus.kernel.errors import Forbidden, Unauthorized


@dataclass(frozen=True, slots=True)
class IssuedSession:
    session_id: uuid.UUID
    access: IssuedToken
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class MfaChallenge:
    token: IssuedToken


def invalid_credentials() -> Unauthorized:
    return Unauthorized("The email or password is incorrect.", code="invalid_credentials")


async def login(
    session: AsyncSession, ctx: RequestContext, email: str, password: str
) -> IssuedSession | MfaChallenge:
    await ratelimits.login_attempt(ctx)
    key = email_key_lenient(email)
    await ratelimits.check_login_failures(ctx, key)
    # A short read-only unit of work: the Argon2 verification below (~50 ms of CPU) must not run
    # inside the request's transaction, which on SQLite holds the database write lock.
    async with ctx.db.read_session() as lookup:
        account = await users_repo.account_by_email_key(lookup, key)
    if account is None:
        await verify_against_dummy(password)
        await ratelimits.record_login_failure(ctx, key)
        raise invalid_credentials()
    if not await verify_password(account.password_hash, password):
        await ratelimits.record_login_failure(ctx, key)
        raise invalid_credentials()
    if needs_rehash(account.password_hash):
        new_hash = await hash_password(password)
        await users_repo.set_password(session, account.id, new_hash, bump_version=False)
    if not account.is_active:
        raise Forbidden("This account has been deactivated.", code="account_deactivated")
    if (
        account.email_verified_at is None
        and "login" in IdentitySettings.of(ctx.settings).require_verified_email_for
    ):
        raise Forbidden(
            "Verify your email address before signing in: open the link we sent you, or ask "
            "for a new one.",
            code="email_unverified",
            details={"action": "login"},
        )
    if account.mfa_enabled:
        return MfaChallenge(
            issue_mfa_token(ctx.settings, user_id=account.id, token_version=account.token_version)
        )
    if IdentitySettings.of(ctx.settings).require_mfa_for_admins and account.is_admin:
        raise Forbidden(
            "Administrators must enrol multi-factor authentication before signing in.",
            code="mfa_enrollment_required",
        )
    return await start_session(session, ctx, account.id, account.token_version)


async def start_session(
    session: AsyncSession, ctx: RequestContext, user_id: uuid.UUID, token_version: int
) -> IssuedSession:
    """A new session (token family) with its first refresh token and an access token."""
    now = utcnow()
    expires_at = now + timedelta(
        seconds=IdentitySettings.of(ctx.settings).refresh_absolute_ttl_seconds
    )
    session_id = await creds_repo.insert_session(
        session,
        user_id=user_id,
        device=device_label(ctx.user_agent),
        ip_address=ctx.ip,
        user_agent=ctx.user_agent,
        now=now,
        expires_at=expires_at,
    )
    raw, digest = new_opaque_token()
    await creds_repo.insert_refresh_token(session, session_id, digest, now)
    await users_repo.record_login(session, user_id, now)
    access = issue_access_token(
        ctx.settings, user_id=user_id, session_id=session_id, token_version=token_version
    )
    return IssuedSession(session_id, access, raw, expires_at)

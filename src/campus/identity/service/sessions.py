"""Sessions and refresh-token rotation (RT-01..07).

A session is a refresh-token family. Every refresh atomically marks the presented token used
(``UPDATE ... WHERE used_at IS NULL RETURNING``) and issues a new one in the same family.
Presenting a token that was already used revokes the whole family and logs
``refresh_token_reuse_detected`` (never the token). Concurrent refreshes with one token: one
wins, the others see a used token, so the family is revoked. The idle lifetime runs from the
last refresh, the absolute lifetime from login.

A refresh that revokes something still answers 401, so ``refresh`` returns its error instead of
raising it: the caller commits the revocation first, then raises (see the refresh endpoint).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.data import UserStatus
from campus.identity.repository import credentials as creds_repo
from campus.identity.repository import users as users_repo
from campus.identity.service import ratelimits
from campus.identity.service.login import IssuedSession
from campus.identity.service.request_context import RequestContext
from campus.identity.service.tokens import hash_opaque, issue_access_token, new_opaque_token
from campus.identity.settings import IdentitySettings
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import AppError, Forbidden, NotFound, Unauthorized
from campus.kernel.logging import get_logger

log = get_logger("campus.identity.sessions")


def invalid_refresh() -> Unauthorized:
    return Unauthorized(
        "The refresh token is invalid or has expired. Sign in again.",
        code="invalid_refresh_token",
    )


def check_cookie_origin(ctx: RequestContext, from_cookie: bool) -> None:
    """AC-08: a cookie-authenticated request from a foreign browser origin is refused."""
    if from_cookie and not ctx.origin_allowed():
        raise Forbidden(
            "Requests authenticated by cookie must come from the Campus site.",
            code="origin_not_allowed",
        )


@dataclass(frozen=True, slots=True)
class RefreshOutcome:
    issued: IssuedSession | None = None
    error: AppError | None = None


async def refresh(
    session: AsyncSession, ctx: RequestContext, token: str, *, from_cookie: bool
) -> RefreshOutcome:
    check_cookie_origin(ctx, from_cookie)
    await ratelimits.refresh(ctx)
    now = utcnow()
    digest = hash_opaque(token)
    session_id = await creds_repo.claim_refresh_token(session, digest, now)
    if session_id is None:
        reused = await creds_repo.refresh_token_session(session, digest)
        if reused is not None:
            revoked = await creds_repo.revoke_session(session, reused, now, "refresh_reuse")
            log.warning(
                "refresh_token_reuse_detected",
                session_id=str(reused),
                family_revoked=revoked,
                client_ip=ctx.ip,
            )
        return RefreshOutcome(error=invalid_refresh())
    state = await creds_repo.session_state(session, session_id)
    if state is None or state.revoked_at is not None or state.user_status != UserStatus.ACTIVE:
        return RefreshOutcome(error=invalid_refresh())
    idle = timedelta(seconds=IdentitySettings.of(ctx.settings).refresh_idle_ttl_seconds)
    if now - state.last_active_at > idle:
        await creds_repo.revoke_session(session, session_id, now, "idle_timeout")
        return RefreshOutcome(error=invalid_refresh())
    if now >= state.expires_at:
        await creds_repo.revoke_session(session, session_id, now, "expired")
        return RefreshOutcome(error=invalid_refresh())
    raw, new_digest = new_opaque_token()
    await creds_repo.insert_refresh_token(session, session_id, new_digest, now)
    await creds_repo.touch_session(session, session_id, now, ctx.ip)
    access = issue_access_token(
        ctx.settings,
        user_id=state.user_id,
        session_id=session_id,
        token_version=state.token_version,
    )
    return RefreshOutcome(issued=IssuedSession(session_id, access, raw, state.expires_at))


async def logout(
    session: AsyncSession,
    ctx: RequestContext,
    *,
    principal: Principal | None,
    refresh_token: str | None,
    from_cookie: bool,
) -> None:
    """Revoke the current session: the bearer token's, else the refresh token's. Unknown or
    already revoked sessions are fine (logout is idempotent); no credential at all is a 401."""
    now = utcnow()
    if principal is not None and principal.session_id is not None:
        await creds_repo.revoke_session(
            session, principal.session_id, now, "logout", user_id=principal.user_id
        )
        return
    if refresh_token is None:
        raise Unauthorized()
    check_cookie_origin(ctx, from_cookie)
    session_id = await creds_repo.refresh_token_session(session, hash_opaque(refresh_token))
    if session_id is not None:
        await creds_repo.revoke_session(session, session_id, now, "logout")


async def logout_everywhere(session: AsyncSession, principal: Principal) -> None:
    """Revoke every session and bump the token version: outstanding access tokens stop working
    at their next request."""
    await users_repo.bump_token_version(session, principal.user_id)
    await creds_repo.revoke_user_sessions(session, principal.user_id, utcnow(), "logout_all")


@dataclass(frozen=True, slots=True)
class ActiveSession:
    id: uuid.UUID
    device: str
    ip_address: str | None
    user_agent: str | None
    created_at: datetime
    last_active_at: datetime
    current: bool


async def my_sessions(
    session: AsyncSession, ctx: RequestContext, principal: Principal
) -> list[ActiveSession]:
    now = utcnow()
    idle_cutoff = now - timedelta(
        seconds=IdentitySettings.of(ctx.settings).refresh_idle_ttl_seconds
    )
    rows = await creds_repo.live_sessions(session, principal.user_id, now, idle_cutoff)
    return [
        ActiveSession(
            id=row.id,
            device=row.device,
            ip_address=row.ip_address,
            user_agent=row.user_agent,
            created_at=row.created_at,
            last_active_at=row.last_active_at,
            current=row.id == principal.session_id,
        )
        for row in rows
    ]


async def revoke_my_session(
    session: AsyncSession, principal: Principal, session_id: uuid.UUID
) -> None:
    """Another user's (or an already revoked) session is a 404."""
    revoked = await creds_repo.revoke_session(
        session, session_id, utcnow(), "revoked_by_user", user_id=principal.user_id
    )
    if not revoked:
        raise NotFound("The session was not found.")

"""Sessions (refresh-token families), refresh tokens, email/reset tokens and MFA."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.models import (
    ActionToken,
    MfaRecoveryCode,
    MfaTotp,
    RefreshToken,
    User,
    UserSession,
)
from campus.kernel.db import dialect_insert
from campus.kernel.ids import new_id

# --------------------------------------------------------------------------- sessions


async def insert_session(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    device: str,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime,
    expires_at: datetime,
) -> uuid.UUID:
    session_id = new_id()
    await session.execute(
        sa.insert(UserSession).values(
            id=session_id,
            user_id=user_id,
            device=device,
            ip_address=ip_address,
            user_agent=user_agent,
            created_at=now,
            last_active_at=now,
            expires_at=expires_at,
        )
    )
    return session_id


async def insert_refresh_token(
    session: AsyncSession, session_id: uuid.UUID, token_hash: str, now: datetime
) -> None:
    await session.execute(
        sa.insert(RefreshToken).values(
            id=new_id(), session_id=session_id, token_hash=token_hash, created_at=now
        )
    )


async def claim_refresh_token(
    session: AsyncSession, token_hash: str, now: datetime
) -> uuid.UUID | None:
    """Mark an unused refresh token used, atomically; its session id, or None if it is unknown
    or was already used (the caller tells those apart with ``refresh_token_session``)."""
    stmt = (
        sa.update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.session_id)
    )
    result: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return result


async def refresh_token_session(session: AsyncSession, token_hash: str) -> uuid.UUID | None:
    stmt = sa.select(RefreshToken.session_id).where(RefreshToken.token_hash == token_hash)
    result: uuid.UUID | None = (await session.execute(stmt)).scalar_one_or_none()
    return result


@dataclass(frozen=True, slots=True)
class SessionState:
    id: uuid.UUID
    user_id: uuid.UUID
    created_at: datetime
    last_active_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    user_status: str
    token_version: int


async def session_state(session: AsyncSession, session_id: uuid.UUID) -> SessionState | None:
    stmt = (
        sa.select(
            UserSession.id,
            UserSession.user_id,
            UserSession.created_at,
            UserSession.last_active_at,
            UserSession.expires_at,
            UserSession.revoked_at,
            User.status,
            User.token_version,
        )
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.id == session_id)
    )
    row = (await session.execute(stmt)).first()
    return SessionState(*row) if row else None


async def touch_session(
    session: AsyncSession, session_id: uuid.UUID, now: datetime, ip_address: str | None
) -> None:
    await session.execute(
        sa.update(UserSession)
        .where(UserSession.id == session_id)
        .values(last_active_at=now, ip_address=ip_address)
    )


async def revoke_session(
    session: AsyncSession,
    session_id: uuid.UUID,
    now: datetime,
    reason: str,
    *,
    user_id: uuid.UUID | None = None,
) -> bool:
    """Revoke a live session (optionally only if it belongs to ``user_id``)."""
    conditions = [UserSession.id == session_id, UserSession.revoked_at.is_(None)]
    if user_id is not None:
        conditions.append(UserSession.user_id == user_id)
    stmt = (
        sa.update(UserSession)
        .where(*conditions)
        .values(revoked_at=now, revoked_reason=reason)
        .returning(UserSession.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def revoke_user_sessions(
    session: AsyncSession,
    user_id: uuid.UUID,
    now: datetime,
    reason: str,
    *,
    keep: uuid.UUID | None = None,
) -> int:
    conditions = [UserSession.user_id == user_id, UserSession.revoked_at.is_(None)]
    if keep is not None:
        conditions.append(UserSession.id != keep)
    stmt = (
        sa.update(UserSession)
        .where(*conditions)
        .values(revoked_at=now, revoked_reason=reason)
        .returning(UserSession.id)
    )
    return len((await session.execute(stmt)).scalars().all())


async def live_sessions(
    session: AsyncSession, user_id: uuid.UUID, now: datetime, idle_cutoff: datetime
) -> Sequence[UserSession]:
    stmt = (
        sa.select(UserSession)
        .where(
            UserSession.user_id == user_id,
            UserSession.revoked_at.is_(None),
            UserSession.expires_at > now,
            UserSession.last_active_at > idle_cutoff,
        )
        .order_by(UserSession.last_active_at.desc(), UserSession.id)
        .limit(200)
    )
    return (await session.execute(stmt)).scalars().all()


async def purge_ended_sessions(session: AsyncSession, ended_before: datetime) -> int:
    """Delete sessions revoked or expired before ``ended_before`` with their refresh tokens.
    Live sessions keep every token, used ones included: a replayed used token must still be
    recognised so that it revokes its family."""
    ended = sa.or_(UserSession.revoked_at < ended_before, UserSession.expires_at < ended_before)
    ended_ids = sa.select(UserSession.id).where(ended)
    await session.execute(sa.delete(RefreshToken).where(RefreshToken.session_id.in_(ended_ids)))
    result = await session.execute(sa.delete(UserSession).where(ended).returning(UserSession.id))
    return len(result.all())


# --------------------------------------------------------------------------- action tokens


async def put_action_token(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    purpose: str,
    token_hash: str,
    email: str | None,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Issue a token for (user, purpose), replacing (voiding) any earlier one atomically."""
    values = {
        "token_hash": token_hash,
        "email": email,
        "created_at": now,
        "expires_at": expires_at,
        "used_at": None,
    }
    stmt = (
        dialect_insert(session, ActionToken)
        .values(user_id=user_id, purpose=purpose, **values)
        .on_conflict_do_update(
            index_elements=[ActionToken.user_id, ActionToken.purpose], set_=values
        )
    )
    await session.execute(stmt)


async def consume_action_token(
    session: AsyncSession, *, purpose: str, token_hash: str, now: datetime
) -> tuple[uuid.UUID, str | None] | None:
    """Use a token once: ``(user_id, email)`` or None when unknown, used, voided or expired."""
    stmt = (
        sa.update(ActionToken)
        .where(
            ActionToken.token_hash == token_hash,
            ActionToken.purpose == purpose,
            ActionToken.used_at.is_(None),
            ActionToken.expires_at > now,
        )
        .values(used_at=now)
        .returning(ActionToken.user_id, ActionToken.email)
    )
    row = (await session.execute(stmt)).first()
    return (row[0], row[1]) if row else None


async def purge_action_tokens(session: AsyncSession, spent_before: datetime) -> int:
    """Delete tokens used or expired before ``spent_before``: they answer exactly like unknown
    ones, so nothing a user sees changes."""
    stmt = (
        sa.delete(ActionToken)
        .where(sa.or_(ActionToken.used_at < spent_before, ActionToken.expires_at < spent_before))
        .returning(ActionToken.token_hash)
    )
    return len((await session.execute(stmt)).all())


# --------------------------------------------------------------------------- MFA


@dataclass(frozen=True, slots=True)
class MfaState:
    secret_encrypted: str
    confirmed: bool
    last_used_step: int | None


async def mfa_state(session: AsyncSession, user_id: uuid.UUID) -> MfaState | None:
    stmt = sa.select(MfaTotp.secret_encrypted, MfaTotp.confirmed_at, MfaTotp.last_used_step).where(
        MfaTotp.user_id == user_id
    )
    row = (await session.execute(stmt)).first()
    return MfaState(row[0], row[1] is not None, row[2]) if row else None


async def put_pending_mfa(
    session: AsyncSession, user_id: uuid.UUID, secret_encrypted: str, now: datetime
) -> bool:
    """Start (or restart) an enrolment; False when MFA is already confirmed."""
    stmt = (
        dialect_insert(session, MfaTotp)
        .values(
            user_id=user_id,
            secret_encrypted=secret_encrypted,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_update(
            index_elements=[MfaTotp.user_id],
            set_={"secret_encrypted": secret_encrypted, "updated_at": now, "last_used_step": None},
            where=MfaTotp.confirmed_at.is_(None),
        )
        .returning(MfaTotp.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def confirm_mfa(session: AsyncSession, user_id: uuid.UUID, step: int, now: datetime) -> bool:
    stmt = (
        sa.update(MfaTotp)
        .where(MfaTotp.user_id == user_id, MfaTotp.confirmed_at.is_(None))
        .values(confirmed_at=now, last_used_step=step, updated_at=now)
        .returning(MfaTotp.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def claim_totp_step(session: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Accept a TOTP time step at most once (no replay within its window), atomically."""
    stmt = (
        sa.update(MfaTotp)
        .where(
            MfaTotp.user_id == user_id,
            MfaTotp.confirmed_at.is_not(None),
            sa.or_(MfaTotp.last_used_step.is_(None), MfaTotp.last_used_step < step),
        )
        .values(last_used_step=step)
        .returning(MfaTotp.user_id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def replace_recovery_codes(
    session: AsyncSession, user_id: uuid.UUID, code_hashes: Sequence[str], now: datetime
) -> None:
    await session.execute(sa.delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user_id))
    await session.execute(
        sa.insert(MfaRecoveryCode),
        [
            {"id": new_id(), "user_id": user_id, "code_hash": h, "created_at": now}
            for h in code_hashes
        ],
    )


async def use_recovery_code(
    session: AsyncSession, user_id: uuid.UUID, code_hash: str, now: datetime
) -> bool:
    stmt = (
        sa.update(MfaRecoveryCode)
        .where(
            MfaRecoveryCode.user_id == user_id,
            MfaRecoveryCode.code_hash == code_hash,
            MfaRecoveryCode.used_at.is_(None),
        )
        .values(used_at=now)
        .returning(MfaRecoveryCode.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def delete_mfa(session: AsyncSession, user_id: uuid.UUID) -> bool:
    await session.execute(sa.delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user_id))
    stmt = sa.delete(MfaTotp).where(MfaTotp.user_id == user_id).returning(MfaTotp.user_id)
    return (await session.execute(stmt)).scalar_one_or_none() is not None

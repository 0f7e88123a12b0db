"""Registration: self-registration, email verification and account creation for the doorway.
Services never commit (the request scope does).

AUTH-06: registering an email that already has an account answers exactly like a new
registration (same status, same body, same Argon2 cost) and emails the owner a notice instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity import events
from campus.identity.data import DEFAULT_ROLE, INSTRUCTOR, display_name
from campus.identity.exceptions import InvalidLink
from campus.identity.repository import directory as directory_repo
from campus.identity.repository import users as users_repo
from campus.identity.service import emails, organizations, ratelimits
from campus.identity.service.links import (
    VERIFY_EMAIL,
    VERIFY_EMAIL_TTL,
    consume_action_token,
    issue_action_token,
)
from campus.identity.service.passwords import check_password_policy, hash_password
from campus.identity.service.request_context import RequestContext
from campus.identity.service.validation import (
    NormalizedEmail,
    clean_name,
    email_key_lenient,
    normalize_email,
)
from campus.kernel.clock import utcnow
from campus.kernel.errors import (
    Conflict,
    field_error,
)
from campus.kernel.events import publish
from campus.kernel.outbox import enqueue_job

REGISTERED_MESSAGE = (
    "Thanks for signing up. If this address can be used, a verification link is on its way: "
    "check your inbox."
)


# --------------------------------------------------------------------------- registration


@dataclass(frozen=True, slots=True)
class Registration:
    first_name: str
    last_name: str
    email: NormalizedEmail
    password: str
    date_of_birth: date | None = None
    phone: str | None = None
    language: str | None = None


async def _finish_new_account(
    session: AsyncSession,
    user_id: uuid.UUID,
    *,
    first_name: str,
    last_name: str,
    roles: Iterable[str],
    phone: str | None,
    language: str | None,
    assigned_by: uuid.UUID | None,
) -> None:
    now = utcnow()
    await users_repo.insert_user_defaults(session, user_id, phone=phone, language=language, now=now)
    granted = await users_repo.add_roles(session, user_id, roles, assigned_by=assigned_by, now=now)
    if INSTRUCTOR in granted:
        await users_repo.ensure_instructor_profile(session, user_id, now)
    await publish(
        session,
        events.UserRegistered(
            user_id=user_id,
            first_name=first_name,
            last_name=last_name,
            display_name=display_name(first_name, last_name),
            roles=sorted(granted),
        ),
    )


async def register(session: AsyncSession, ctx: RequestContext, reg: Registration) -> None:
    """Self-registration. The answer never reveals whether the email already had an account."""
    await ratelimits.auth_email(ctx, "register", reg.email.key)
    check_password_policy(
        reg.password,
        email=reg.email.email,
        first_name=reg.first_name,
        last_name=reg.last_name,
        field="password",
    )
    password_hash = await hash_password(reg.password)  # same cost whether or not the email exists
    user_id = await users_repo.insert_user(
        session,
        email=reg.email.email,
        email_key=reg.email.key,
        first_name=reg.first_name,
        last_name=reg.last_name,
        password_hash=password_hash,
        date_of_birth=reg.date_of_birth,
        verified_at=None,
        now=utcnow(),
    )
    if user_id is None:
        existing = await users_repo.account_by_email_key(session, reg.email.key)
        if existing is not None:
            await emails.send_register_attempt_notice(
                session, ctx.settings, to=existing.email, first_name=existing.first_name
            )
        return
    await _finish_new_account(
        session,
        user_id,
        first_name=reg.first_name,
        last_name=reg.last_name,
        roles=(DEFAULT_ROLE,),
        phone=reg.phone,
        language=reg.language,
        assigned_by=None,
    )
    token = await issue_action_token(
        session, user_id=user_id, purpose=VERIFY_EMAIL, email=reg.email.key, ttl=VERIFY_EMAIL_TTL
    )
    await emails.send_verification(
        session,
        ctx.settings,
        user_id=user_id,
        to=reg.email.email,
        first_name=reg.first_name,
        token=token,
    )


async def create_account(
    session: AsyncSession,
    *,
    email: str,
    password: str | None,
    first_name: str,
    last_name: str,
    roles: Iterable[str] = (DEFAULT_ROLE,),
    verified: bool = False,
    password_hash: str | None = None,
    assigned_by: uuid.UUID | None = None,
) -> uuid.UUID:
    """Create a ready account (CLI, seed, other contexts' factories). Validates like
    registration; a taken email is a 409 here (callers are trusted, not anonymous)."""
    try:
        first = clean_name(first_name)
        last = clean_name(last_name)
        normalized = normalize_email(email)
    except ValueError as exc:
        raise field_error("account", str(exc)) from exc
    role_list = list(dict.fromkeys(roles))
    for role in role_list:
        if not await directory_repo.role_exists(session, role):
            raise field_error("roles", f"Unknown role '{role[:50]}'.", code="unknown_role")
    if password_hash is None:
        if password is None:
            raise field_error("password", "A password is required.")
        check_password_policy(
            password, email=normalized.email, first_name=first, last_name=last, field="password"
        )
        password_hash = await hash_password(password)
    now = utcnow()
    user_id = await users_repo.insert_user(
        session,
        email=normalized.email,
        email_key=normalized.key,
        first_name=first,
        last_name=last,
        password_hash=password_hash,
        date_of_birth=None,
        verified_at=now if verified else None,
        now=now,
    )
    if user_id is None:
        raise Conflict("An account with this email address already exists.", code="email_taken")
    await _finish_new_account(
        session,
        user_id,
        first_name=first,
        last_name=last,
        roles=role_list,
        phone=None,
        language=None,
        assigned_by=assigned_by,
    )
    return user_id


# --------------------------------------------------------------------------- verification


async def verify_email(session: AsyncSession, ctx: RequestContext, token: str) -> None:
    await ratelimits.link_token_attempt(ctx)
    account, email_key = await consume_action_token(session, VERIFY_EMAIL, token)
    if email_key != account.email_key:
        raise InvalidLink()  # the account moved to another address since the link was sent
    if await users_repo.mark_email_verified(session, account.id, utcnow()):
        await publish(session, events.EmailVerified(user_id=account.id))
        await organizations.join_by_verified_email(session, account.id, account.email_key)


async def resend_verification(session: AsyncSession, ctx: RequestContext, email: str) -> None:
    """Same answer and the same work for every address (AUTH-06): the request enqueues the
    ``identity.resend_verification`` job, which sends a link only to an unverified, active
    account."""
    key = email_key_lenient(email)
    await ratelimits.auth_email(ctx, "verify", key)
    await enqueue_job(session, events.VERIFICATION_RESEND_JOB, {"emailKey": key}, sensitive=True)


async def send_verification_link(session: AsyncSession, settings: Settings, email_key: str) -> None:
    """The ``identity.resend_verification`` job. A new link voids the previous one."""
    account = await users_repo.account_by_email_key(session, email_key)
    if account is None or not account.is_active or account.email_verified_at is not None:
        return
    token = await issue_action_token(
        session, user_id=account.id, purpose=VERIFY_EMAIL, email=email_key, ttl=VERIFY_EMAIL_TTL
    )
    await emails.send_verification(
        session,
        settings,
        user_id=account.id,
        to=account.email,
        first_name=account.first_name,
        token=token,
    )

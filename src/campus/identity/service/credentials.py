"""Password reset, password change and email change (AUTH-05/06/07/08, RT-06, JWT-11).

* Forgot password: the same 202 for every address, and the same work: the request only
  enqueues the ``identity.send_password_reset`` job (sensitive payload), which sends a 1-hour
  single-use link if the address belongs to an active account. A new link voids the previous
  one.
* Reset: consumes the link, sets the password, bumps the token version, revokes every session,
  marks the email verified (the link proved it) and sends a security notice.
* Change password: needs the current password; revokes the OTHER sessions, bumps the token
  version and returns a fresh access token for the current session.
* Change email: needs the current password; a link goes to the new address and a notice to the
  old one; the change applies when the link is used. An address that already has an account
  gets the same answer (and its owner a notice), so nothing is enumerated.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from campus.config import Settings
from campus.identity import events
from campus.identity.exceptions import InvalidLink
from campus.identity.repository import credentials as creds_repo
from campus.identity.repository import users as users_repo
from campus.identity.service import emails, organizations, ratelimits
from campus.identity.service.account import require_account, require_password
from campus.identity.service.links import (
    CHANGE_EMAIL,
    CHANGE_EMAIL_TTL,
    RESET_PASSWORD,
    RESET_PASSWORD_TTL,
    consume_action_token,
    issue_action_token,
)
from campus.identity.service.passwords import (
    check_not_current,
    check_password_policy,
    hash_password,
)
from campus.identity.service.request_context import RequestContext
from campus.identity.service.tokens import IssuedToken, issue_access_token
from campus.identity.service.validation import email_key_lenient, normalize_email
from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.errors import Conflict, Unauthorized, field_error
from campus.kernel.events import publish
from campus.kernel.outbox import enqueue_job

FORGOT_MESSAGE = (
    "If an account uses this address, we sent it a link to choose a new password. "
    "The link works once, for one hour."
)
EMAIL_CHANGE_MESSAGE = (
    "If the new address can be used, we sent it a confirmation link. Your email changes once "
    "you open it."
)


async def forgot_password(session: AsyncSession, ctx: RequestContext, email: str) -> None:
    """AUTH-06: the request does the same work for every address (a rate-limit hit and one
    job in the outbox); whether an account exists is only looked at in the job."""
    key = email_key_lenient(email)
    await ratelimits.auth_email(ctx, "reset", key)
    await enqueue_job(session, events.RESET_LINK_JOB, {"emailKey": key}, sensitive=True)


async def send_reset_link(session: AsyncSession, settings: Settings, email_key: str) -> None:
    """The ``identity.send_password_reset`` job: a 1-hour single-use link, only to an active
    account. A new link voids the previous one, so a job run twice leaves one usable link."""
    account = await users_repo.account_by_email_key(session, email_key)
    if account is None or not account.is_active:
        return
    token = await issue_action_token(
        session,
        user_id=account.id,
        purpose=RESET_PASSWORD,
        email=account.email_key,
        ttl=RESET_PASSWORD_TTL,
    )
    await emails.send_password_reset(
        session,
        settings,
        user_id=account.id,
        to=account.email,
        first_name=account.first_name,
        token=token,
    )


async def reset_password(
    session: AsyncSession, ctx: RequestContext, token: str, new_password: str
) -> None:
    await ratelimits.link_token_attempt(ctx)
    account, email_key = await consume_action_token(session, RESET_PASSWORD, token)
    if email_key != account.email_key:
        raise InvalidLink()
    check_password_policy(
        new_password,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        field="newPassword",
    )
    await check_not_current(account.password_hash, new_password, field="newPassword")
    password_hash = await hash_password(new_password)
    now = utcnow()
    await users_repo.set_password(session, account.id, password_hash, bump_version=True)
    await creds_repo.revoke_user_sessions(session, account.id, now, "password_reset")
    if await users_repo.mark_email_verified(session, account.id, now):
        await publish(session, events.EmailVerified(user_id=account.id))
        await organizations.join_by_verified_email(session, account.id, account.email_key)
    await ratelimits.clear_login_failures(ctx, account.email_key)
    await emails.send_security_notice(
        session,
        to=account.email,
        first_name=account.first_name,
        subject="Your Campus password was reset",
        what="Your password was reset with a link sent to this address, and every device was "
        "signed out.",
    )


async def change_password(
    session: AsyncSession,
    ctx: RequestContext,
    principal: Principal,
    current_password: str,
    new_password: str,
) -> IssuedToken:
    if principal.session_id is None:  # identity's access tokens always name their session
        raise Unauthorized()
    account = await require_account(session, principal.user_id)
    await require_password(ctx, account, current_password)
    check_password_policy(
        new_password,
        email=account.email,
        first_name=account.first_name,
        last_name=account.last_name,
        field="newPassword",
    )
    await check_not_current(account.password_hash, new_password, field="newPassword")
    password_hash = await hash_password(new_password)
    version = await users_repo.set_password(session, account.id, password_hash, bump_version=True)
    await creds_repo.revoke_user_sessions(
        session, account.id, utcnow(), "password_changed", keep=principal.session_id
    )
    await emails.send_security_notice(
        session,
        to=account.email,
        first_name=account.first_name,
        subject="Your Campus password was changed",
        what="The password of your account was changed, and your other devices were signed out.",
    )
    return issue_access_token(
        ctx.settings, user_id=account.id, session_id=principal.session_id, token_version=version
    )


async def request_email_change(
    session: AsyncSession,
    ctx: RequestContext,
    principal: Principal,
    current_password: str,
    new_email: str,
) -> None:
    account = await require_account(session, principal.user_id)
    await require_password(ctx, account, current_password)
    try:
        target = normalize_email(new_email)
    except ValueError as exc:
        raise field_error("newEmail", str(exc)) from exc
    if target.key == account.email_key:
        raise field_error("newEmail", "This is already your email address.", code="unchanged")
    await ratelimits.auth_email(ctx, "change-email", account.email_key)
    if await users_repo.account_by_email_key(session, target.key) is not None:
        await emails.send_email_taken_notice(session, to=target.email)
        return
    token = await issue_action_token(
        session, user_id=account.id, purpose=CHANGE_EMAIL, email=target.email, ttl=CHANGE_EMAIL_TTL
    )
    await emails.send_email_change_link(
        session,
        ctx.settings,
        user_id=account.id,
        to=target.email,
        first_name=account.first_name,
        token=token,
    )
    await emails.send_security_notice(
        session,
        to=account.email,
        first_name=account.first_name,
        subject="A change of your Campus email address was requested",
        what=f"Someone asked to change the email address of your account to {target.email}. "
        "It changes only when the link sent to that address is opened.",
    )


async def confirm_email_change(session: AsyncSession, ctx: RequestContext, token: str) -> None:
    await ratelimits.link_token_attempt(ctx)
    account, new_email = await consume_action_token(session, CHANGE_EMAIL, token)
    if new_email is None:
        raise InvalidLink()
    target = normalize_email(new_email)
    if not await users_repo.change_email(
        session, account.id, email=target.email, email_key=target.key, now=utcnow()
    ):
        raise Conflict("This email address is already in use.", code="email_taken")
    await emails.send_security_notice(
        session,
        to=account.email,
        first_name=account.first_name,
        subject="Your Campus email address was changed",
        what=f"The email address of your account is now {target.email}. This address will no "
        "longer receive account emails.",
    )

"""``/users/me``: my account, profile and settings, credentials, sessions, MFA, and my
instructor profile."""

from __future__ import annotations

import uuid

from fastapi import Depends

from campus.identity.endpoints.errors import error_responses
from campus.identity.schemas.requests import (
    AccountPatch,
    ChangeEmailIn,
    ChangePasswordIn,
    InstructorProfilePatch,
    MfaConfirmIn,
    MfaDisableIn,
    PasswordConfirmIn,
)
from campus.identity.schemas.responses import (
    AccessTokenOut,
    InstructorOut,
    MfaSetupOut,
    RecoveryCodesOut,
    SessionOut,
    UserOut,
)
from campus.identity.service import account, credentials, instructors, mfa, sessions
from campus.identity.service.principal import CurrentAccount
from campus.identity.service.request_context import Ctx
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import Message

router = api_router(prefix="/users/me", tags=["users"])


@router.get(
    "",
    summary="My account: user, profile, settings and roles",
    response_model=UserOut,
    responses=error_responses(401),
)
async def get_me(caller: CurrentAccount) -> UserOut:
    # The caller and the account in one statement (``service.principal``).
    principal = caller.principal
    return UserOut.of(account.AccountDetails(caller.record, principal.roles, principal.permissions))


@router.patch(
    "",
    summary="Update my name, birth date, profile or settings",
    description="Only these fields exist: role, emailVerified, status... are a 422.",
    response_model=UserOut,
    responses=error_responses(400, 401, 413, 415, 422),
)
async def patch_me(body: AccountPatch, session: DbSession, principal: CurrentPrincipal) -> UserOut:
    return UserOut.of(await account.update_me(session, principal, body.to_changes()))


@router.post(
    "/password",
    summary="Change my password",
    description="Needs the current password. Signs out my other sessions and returns a fresh "
    "access token for this one (older access tokens stop working).",
    response_model=AccessTokenOut,
    responses=error_responses(401, 403, 422, 429),
)
async def change_password(
    body: ChangePasswordIn, session: DbSession, ctx: Ctx, principal: CurrentPrincipal
) -> AccessTokenOut:
    issued = await credentials.change_password(
        session, ctx, principal, body.current_password, body.new_password
    )
    return AccessTokenOut.of(issued)


@router.post(
    "/email",
    status_code=202,
    summary="Change my email address (confirmed from the new address)",
    response_model=Message,
    responses=error_responses(401, 403, 422, 429),
)
async def change_email(
    body: ChangeEmailIn, session: DbSession, ctx: Ctx, principal: CurrentPrincipal
) -> Message:
    await credentials.request_email_change(
        session, ctx, principal, body.current_password, body.new_email
    )
    return Message(message=credentials.EMAIL_CHANGE_MESSAGE)


@router.get(
    "/sessions",
    summary="My signed-in sessions",
    description="The current session first, then the most recently used.",
    response_model=Page[SessionOut],
    responses=error_responses(401, 422),
)
async def list_sessions(
    session: DbSession,
    ctx: Ctx,
    principal: CurrentPrincipal,
    params: PageParams = Depends(page_params),
) -> Page[SessionOut]:
    mine = await sessions.my_sessions(session, ctx, principal)  # a handful per person
    shown = mine[params.offset : params.offset + params.limit]
    return Page.build([SessionOut.of(active) for active in shown], len(mine), params)


@router.delete(
    "/sessions/{session_id}",
    summary="Sign out one of my sessions",
    response_model=Message,
    responses=error_responses(401, 404, 422),
)
async def revoke_session(
    session_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Message:
    await sessions.revoke_my_session(session, principal, session_id)
    return Message(message="The session was signed out.")


@router.post(
    "/mfa/setup",
    summary="Start enrolling a TOTP authenticator",
    description="Needs the current password. Returns the secret and an otpauth:// URI; "
    "confirm with a first code to enable MFA.",
    response_model=MfaSetupOut,
    responses=error_responses(401, 403, 409, 422, 429),
)
async def mfa_setup(
    body: PasswordConfirmIn, session: DbSession, ctx: Ctx, principal: CurrentPrincipal
) -> MfaSetupOut:
    started = await mfa.setup(session, ctx, principal, body.current_password)
    return MfaSetupOut(secret=started.secret, otpauth_uri=started.otpauth_uri)


@router.post(
    "/mfa/confirm",
    summary="Enable MFA with a first code; returns 10 recovery codes",
    response_model=RecoveryCodesOut,
    responses=error_responses(401, 409, 422, 429),
)
async def mfa_confirm(
    body: MfaConfirmIn, session: DbSession, ctx: Ctx, principal: CurrentPrincipal
) -> RecoveryCodesOut:
    codes = await mfa.confirm(session, ctx, principal, body.code)
    return RecoveryCodesOut(recovery_codes=codes)


@router.post(
    "/mfa/disable",
    summary="Disable MFA (current password and a code)",
    response_model=Message,
    responses=error_responses(401, 403, 409, 422, 429),
)
async def mfa_disable(
    body: MfaDisableIn, session: DbSession, ctx: Ctx, principal: CurrentPrincipal
) -> Message:
    await mfa.disable(
        session,
        ctx,
        principal,
        body.current_password,
        code=body.code,
        recovery_code=body.recovery_code,
    )
    return Message(message="Multi-factor authentication is disabled.")


@router.patch(
    "/instructor-profile",
    summary="Update my instructor profile (instructors only)",
    response_model=InstructorOut,
    responses=error_responses(401, 403, 422),
)
async def patch_instructor_profile(
    body: InstructorProfilePatch, session: DbSession, principal: CurrentPrincipal
) -> InstructorOut:
    row = await instructors.update_mine(session, principal, body.changes())
    return InstructorOut.of(row)

"""``/auth/*``: registration, login, MFA, token refresh, logout, email and password flows.

Refresh tokens travel two ways (RT-07, AC-08):

* API clients send ``refreshToken`` in the JSON body and get the new one in the body;
* browsers use the ``campus_refresh`` cookie (HttpOnly, Secure, SameSite=Strict,
  Path=/api/v1/auth), set on login, MFA verification and refresh. When the token came from the
  cookie, or the client sent ``cookieOnly: true``, the body's ``refreshToken`` is null.
  A body token takes precedence over the cookie. A cookie-authenticated refresh or logout whose
  ``Origin`` is not the app's ``base_url`` or one of ``cors_origins`` is refused (403).
"""

from __future__ import annotations

from fastapi import Request, Response

from campus.identity.endpoints.errors import error_responses
from campus.identity.schemas.requests import (
    EmailIn,
    LoginIn,
    LogoutIn,
    MfaVerifyIn,
    RefreshIn,
    RegisterIn,
    ResetPasswordIn,
    TokenIn,
)
from campus.identity.schemas.responses import MfaChallengeOut, TokenPairOut
from campus.identity.service import credentials, mfa, registration, sessions
from campus.identity.service import login as login_service
from campus.identity.service.login import IssuedSession, MfaChallenge
from campus.identity.service.request_context import Ctx, RequestContext
from campus.identity.service.validation import normalize_email
from campus.identity.settings import IdentitySettings
from campus.kernel.auth import CurrentPrincipal, DbSession, OptionalPrincipal
from campus.kernel.clock import utcnow
from campus.kernel.http import api_router
from campus.kernel.schemas import Message

REFRESH_COOKIE = "campus_refresh"
REFRESH_COOKIE_PATH = "/api/v1/auth"

router = api_router(prefix="/auth", tags=["auth"])


def _set_refresh_cookie(response: Response, ctx: RequestContext, issued: IssuedSession) -> None:
    max_age = max(0, int((issued.refresh_expires_at - utcnow()).total_seconds()))
    response.set_cookie(
        REFRESH_COOKIE,
        issued.refresh_token,
        max_age=max_age,
        path=REFRESH_COOKIE_PATH,
        secure=IdentitySettings.of(ctx.settings).refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _clear_refresh_cookie(response: Response, ctx: RequestContext) -> None:
    response.delete_cookie(
        REFRESH_COOKIE,
        path=REFRESH_COOKIE_PATH,
        secure=IdentitySettings.of(ctx.settings).refresh_cookie_secure,
        httponly=True,
        samesite="strict",
    )


def _presented_refresh(request: Request, body_token: str | None) -> tuple[str | None, bool]:
    """``(token, came_from_cookie)``; the body wins over the cookie."""
    if body_token:
        return body_token, False
    cookie = request.cookies.get(REFRESH_COOKIE)
    if cookie and len(cookie) <= 256:
        return cookie, True
    return None, False


@router.post(
    "/register",
    status_code=202,
    summary="Create an account (a verification email follows)",
    description="The answer is the same whether or not the email already has an account; an "
    "existing owner is emailed a notice instead.",
    response_model=Message,
    responses=error_responses(400, 413, 415, 422, 429),
)
async def register(body: RegisterIn, session: DbSession, ctx: Ctx) -> Message:
    new_account = registration.Registration(
        first_name=body.first_name,
        last_name=body.last_name,
        email=normalize_email(body.email),
        password=body.password,
        date_of_birth=body.date_of_birth,
        phone=body.phone,
        language=body.language_preference,
    )
    await registration.register(session, ctx, new_account)
    return Message(message=registration.REGISTERED_MESSAGE)


@router.post(
    "/login",
    summary="Sign in with email and password",
    description="Returns tokens, or `{mfaRequired: true, mfaToken}` when MFA is enabled.",
    response_model=TokenPairOut | MfaChallengeOut,
    responses=error_responses(401, 403, 422, 429),
)
async def login(
    body: LoginIn, response: Response, session: DbSession, ctx: Ctx
) -> TokenPairOut | MfaChallengeOut:
    outcome = await login_service.login(session, ctx, body.email, body.password)
    if isinstance(outcome, MfaChallenge):
        return MfaChallengeOut.of(outcome)
    _set_refresh_cookie(response, ctx, outcome)
    return TokenPairOut.of(outcome, include_refresh=not body.cookie_only)


@router.post(
    "/mfa/verify",
    summary="Complete a login with a TOTP code or a recovery code",
    response_model=TokenPairOut,
    responses=error_responses(401, 422, 429),
)
async def verify_mfa(
    body: MfaVerifyIn, response: Response, session: DbSession, ctx: Ctx
) -> TokenPairOut:
    issued = await mfa.verify_login(
        session, ctx, body.mfa_token, code=body.code, recovery_code=body.recovery_code
    )
    _set_refresh_cookie(response, ctx, issued)
    return TokenPairOut.of(issued, include_refresh=not body.cookie_only)


@router.post(
    "/refresh",
    summary="Rotate the refresh token and get a new access token",
    description="Send `refreshToken` in the body (API clients) or rely on the cookie "
    "(browsers). Replaying a used refresh token revokes its whole session.",
    response_model=TokenPairOut,
    responses=error_responses(401, 403, 422, 429),
)
async def refresh(
    request: Request, response: Response, ctx: Ctx, body: RefreshIn | None = None
) -> TokenPairOut:
    token, from_cookie = _presented_refresh(request, body.refresh_token if body else None)
    if token is None:
        raise sessions.invalid_refresh()
    # Its own unit of work: a detected reuse revokes the family AND answers 401, so the
    # revocation is committed before the error is raised.
    async with ctx.db.session() as session:
        outcome = await sessions.refresh(session, ctx, token, from_cookie=from_cookie)
    if outcome.error is not None or outcome.issued is None:
        raise outcome.error or sessions.invalid_refresh()
    _set_refresh_cookie(response, ctx, outcome.issued)
    include = not from_cookie and not (body is not None and body.cookie_only)
    return TokenPairOut.of(outcome.issued, include_refresh=include)


@router.post(
    "/logout",
    summary="Sign out of this session",
    description="Revokes the session of the bearer token, or else of the refresh token "
    "(body or cookie), and clears the cookie.",
    response_model=Message,
    responses=error_responses(401, 403, 422),
)
async def logout(
    request: Request,
    response: Response,
    session: DbSession,
    ctx: Ctx,
    principal: OptionalPrincipal,
    body: LogoutIn | None = None,
) -> Message:
    token, from_cookie = _presented_refresh(request, body.refresh_token if body else None)
    await sessions.logout(
        session, ctx, principal=principal, refresh_token=token, from_cookie=from_cookie
    )
    _clear_refresh_cookie(response, ctx)
    return Message(message="Signed out.")


@router.post(
    "/logout-all",
    summary="Sign out everywhere",
    description="Revokes every session and invalidates every outstanding access token.",
    response_model=Message,
    responses=error_responses(401),
)
async def logout_all(
    response: Response, session: DbSession, ctx: Ctx, principal: CurrentPrincipal
) -> Message:
    await sessions.logout_everywhere(session, principal)
    _clear_refresh_cookie(response, ctx)
    return Message(message="Signed out of every session.")


@router.post(
    "/email/verify",
    summary="Verify the email address with the emailed token",
    response_model=Message,
    responses=error_responses(400, 422, 429),
)
async def verify_email(body: TokenIn, session: DbSession, ctx: Ctx) -> Message:
    await registration.verify_email(session, ctx, body.token)
    return Message(message="Your email address is verified.")


@router.post(
    "/email/resend",
    status_code=202,
    summary="Send the verification email again",
    response_model=Message,
    responses=error_responses(422, 429),
)
async def resend_verification(body: EmailIn, session: DbSession, ctx: Ctx) -> Message:
    await registration.resend_verification(session, ctx, body.email)
    return Message(message="If this address has an unverified account, a new link is on its way.")


@router.post(
    "/email/confirm",
    summary="Confirm an email change with the token sent to the new address",
    response_model=Message,
    responses=error_responses(400, 409, 422, 429),
)
async def confirm_email_change(body: TokenIn, session: DbSession, ctx: Ctx) -> Message:
    await credentials.confirm_email_change(session, ctx, body.token)
    return Message(message="Your email address was changed.")


@router.post(
    "/password/forgot",
    status_code=202,
    summary="Ask for a password reset link",
    description="Always 202 with the same body, whether or not the address has an account.",
    response_model=Message,
    responses=error_responses(422, 429),
)
async def forgot_password(body: EmailIn, session: DbSession, ctx: Ctx) -> Message:
    await credentials.forgot_password(session, ctx, body.email)
    return Message(message=credentials.FORGOT_MESSAGE)


@router.post(
    "/password/reset",
    summary="Choose a new password with the emailed token",
    description="Signs out every session.",
    response_model=Message,
    responses=error_responses(400, 422, 429),
)
async def reset_password(body: ResetPasswordIn, session: DbSession, ctx: Ctx) -> Message:
    await credentials.reset_password(session, ctx, body.token, body.new_password)
    return Message(message="Your password was changed. Sign in with the new one.")

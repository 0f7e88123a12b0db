"""The pages account emails link to: ``/verify-email``, ``/reset-password``, ``/confirm-email``,
and ``/join-organization`` (an organization's invitation: shown, accepted from a signed-in client).

Mounted at the root (``root_routers``), on the API's own origin (``CAMPUS_BASE_URL``). Each is a
plain HTML form, no JavaScript: opening the link shows a button (and, for a reset, the new
password field); the form POSTs the token in the body to the same path, whose handler calls
the same service as the JSON API and renders the result.

* The token is never logged: the access log records the path without the query string, and
  the form posts it in the body.
* ``Referrer-Policy: no-referrer`` (on every answer), so the link's token does not leak to
  anything the page refers to; a strict CSP (``default-src 'none'; style-src 'unsafe-inline';
  form-action 'self'; frame-ancestors 'none'; base-uri 'none'``) and ``Cache-Control:
  no-store``.
* Every value shown is escaped (``html.escape``). Each submission runs in its own unit of work,
  so a refused one (bad link, weak password) changes nothing and the link stays usable.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Annotated

from fastapi import Form, Query
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from campus.identity.data import InvitationStatus
from campus.identity.service import credentials, organizations, registration
from campus.identity.service.request_context import Ctx, RequestContext
from campus.kernel.errors import AppError
from campus.kernel.http import api_router

router = api_router(tags=["pages"], include_in_schema=False)

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}input,button{font:inherit;padding:.4rem;margin:.3rem 0}"
    "input{width:100%;box-sizing:border-box}.error{color:#a00}"
)
TokenQuery = Annotated[str, Query(max_length=512)]
TokenForm = Annotated[str, Form(max_length=512)]


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<meta name="referrer" content="no-referrer"><title>{escape(title)} · Campus</title>'
        f"<style>{_STYLE}</style></head><body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(html, status_code=status, headers=_HEADERS)


def _form(action: str, token: str, button: str, fields: str = "") -> str:
    return (
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">{fields}'
        f'<button type="submit">{escape(button)}</button></form>'
    )


def _error_text(exc: AppError) -> str:
    fields = (exc.details or {}).get("fields") if isinstance(exc.details, dict) else None
    if isinstance(fields, list) and fields and isinstance(fields[0], dict):
        return str(fields[0].get("message", exc.message))
    return exc.message


def _error(exc: AppError) -> str:
    return f'<p class="error">{escape(_error_text(exc))}</p>'


async def _run(
    ctx: RequestContext, action: Callable[[AsyncSession], Awaitable[None]]
) -> AppError | None:
    """Run ``action`` in its own unit of work: committed when it succeeds, rolled back when
    it raises (the refusal is rendered, not re-raised)."""
    try:
        async with ctx.db.session() as session:
            await action(session)
    except AppError as exc:
        return exc
    return None


_RESEND_FORM = (
    '<form method="post" action="/verify-email/resend"><label>Email address'
    '<input type="email" name="email" required maxlength="254" autocomplete="email"></label>'
    '<button type="submit">Send a new link</button></form>'
)


# --------------------------------------------------------------------------- verify email


@router.get("/verify-email", response_class=HTMLResponse)
async def verify_email_page(token: TokenQuery = "") -> HTMLResponse:
    if not token:
        return _page("Verify your email address", f"<p>Ask for a new link:</p>{_RESEND_FORM}")
    body = "<p>Confirm that this is your email address.</p>"
    return _page(
        "Verify your email address", body + _form("/verify-email", token, "Verify my email")
    )


@router.post("/verify-email", response_class=HTMLResponse)
async def verify_email_submit(token: TokenForm, ctx: Ctx) -> HTMLResponse:
    error = await _run(ctx, lambda s: registration.verify_email(s, ctx, token))
    if error is not None:
        return _page(
            "Verify your email address",
            _error(error) + "<p>Ask for a new link:</p>" + _RESEND_FORM,
            error.status_code,
        )
    return _page(
        "Email verified", "<p>Your email address is verified. You can close this page.</p>"
    )


@router.post("/verify-email/resend", response_class=HTMLResponse)
async def resend_verification_submit(
    email: Annotated[str, Form(max_length=254)], ctx: Ctx
) -> HTMLResponse:
    error = await _run(ctx, lambda s: registration.resend_verification(s, ctx, email))
    if error is not None:
        return _page("Verify your email address", _error(error), error.status_code)
    return _page(
        "Check your inbox",
        "<p>If this address has an unverified account, a new link is on its way.</p>",
        202,
    )


# --------------------------------------------------------------------------- reset password

_PASSWORD_FIELD = (
    '<label>New password (12 to 128 characters)<input type="password" name="newPassword" '  # noqa: S105  # nosec B105 - a form field, not a secret
    'required minlength="12" maxlength="128" autocomplete="new-password"></label>'
)


@router.get("/reset-password", response_class=HTMLResponse)
async def reset_password_page(token: TokenQuery = "") -> HTMLResponse:
    return _page(
        "Choose a new password",
        _form("/reset-password", token, "Set the new password", _PASSWORD_FIELD),
    )


@router.post("/reset-password", response_class=HTMLResponse)
async def reset_password_submit(
    token: TokenForm, new_password: Annotated[str, Form(alias="newPassword")], ctx: Ctx
) -> HTMLResponse:
    error = await _run(ctx, lambda s: credentials.reset_password(s, ctx, token, new_password))
    if error is not None:
        again = _form("/reset-password", token, "Set the new password", _PASSWORD_FIELD)
        return _page("Choose a new password", _error(error) + again, error.status_code)
    return _page(
        "Password changed",
        "<p>Your password was changed and every device was signed out. Sign in with the new "
        "one.</p>",
    )


# --------------------------------------------------------------------------- confirm email


@router.get("/confirm-email", response_class=HTMLResponse)
async def confirm_email_page(token: TokenQuery = "") -> HTMLResponse:
    body = "<p>Confirm the new email address of your Campus account.</p>"
    return _page(
        "Confirm your new email address",
        body + _form("/confirm-email", token, "Confirm the new address"),
    )


@router.post("/confirm-email", response_class=HTMLResponse)
async def confirm_email_submit(token: TokenForm, ctx: Ctx) -> HTMLResponse:
    error = await _run(ctx, lambda s: credentials.confirm_email_change(s, ctx, token))
    if error is not None:
        return _page("Confirm your new email address", _error(error), error.status_code)
    return _page("Email changed", "<p>Your email address was changed.</p>")


# --------------------------------------------------------------------------- join an organization


@router.get("/join-organization", response_class=HTMLResponse)
async def join_organization_page(ctx: Ctx, token: TokenQuery = "") -> HTMLResponse:
    """Shows the invitation without using it. Accepting needs the invitee signed in with the
    invited address (ADR 0032), which is the client application's part: it posts the token to
    ``POST /api/v1/organizations/invitations/accept``."""
    async with ctx.db.read_session() as session:
        preview = await organizations.preview_invitation(session, token) if token else None
    title = "Join an organization"
    if preview is None:
        return _page(title, '<p class="error">This invitation link is not valid.</p>', 404)
    who = f"{escape(preview.organization)} invites you to join as {escape(preview.role.value)}."
    if preview.status is not InvitationStatus.PENDING:
        state = {
            InvitationStatus.ACCEPTED: "was already used",
            InvitationStatus.REVOKED: "was withdrawn",
            InvitationStatus.EXPIRED: "has expired: ask for a new one",
        }[preview.status]
        return _page(title, f'<p>{who}</p><p class="error">This invitation {state}.</p>', 400)
    return _page(
        title,
        f"<p>{who}</p><p>Sign in to Campus with the email address this invitation was sent to "
        f"and accept it there before {preview.expires_at:%Y-%m-%d %H:%M} UTC. The link works "
        "once.</p>",
    )

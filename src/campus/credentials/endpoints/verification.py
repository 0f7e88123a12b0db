"""Public verification (no sign-in, rate-limited per client IP): JSON under ``/api/v1/verify``
and the HTML page at ``/verify/{publicId}``; the issuer profile with its public key and the
revocation status list."""

from __future__ import annotations

from html import escape
from typing import Annotated, Any

from fastapi import Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse

from campus.credentials.endpoints.errors import errors
from campus.credentials.exceptions import CertificateNotFound
from campus.credentials.schemas.certificates import VerificationOut, VerifyCodeIn
from campus.credentials.service import badges, verification
from campus.credentials.service.records import Verification
from campus.credentials.settings import CredentialsSettings
from campus.kernel.auth import DbSession
from campus.kernel.clock import utcnow
from campus.kernel.http import api_router
from campus.kernel.ratelimit import RateLimitStatus, client_ip, set_rate_limit_headers

router = api_router(prefix="/verify", tags=["verification"])
keys_router = api_router(prefix="/credentials", tags=["verification"])
page_router = api_router(tags=["pages"], include_in_schema=False)

PublicId = Annotated[str, Path(min_length=1, max_length=64)]
CodeQuery = Annotated[str | None, Query(max_length=40, description="The verification code")]
SCOPE = "credentials.verify"


async def verify_limit(request: Request) -> RateLimitStatus:
    limit = CredentialsSettings.of(request.app.state.settings).verify_rate_limit
    status: RateLimitStatus = await request.app.state.limiter.hit(SCOPE, client_ip(request), limit)
    return status


Limited = Annotated[RateLimitStatus, Depends(verify_limit)]
JSON_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/ld+json": {"schema": {"type": "object"}}}, "description": "OK"}
}


@router.get(
    "/{public_id}",
    summary="Verify a certificate by its public id (and its code when it is private)",
    response_model=VerificationOut,
    responses=errors(404, 422, 429),
)
async def verify_certificate(
    public_id: PublicId,
    request: Request,
    session: DbSession,
    limited: Limited,
    code: CodeQuery = None,
) -> JSONResponse:
    found = await verification.verify(session, request.app.state.settings, public_id, code)
    response = JSONResponse(VerificationOut.of(found).model_dump(mode="json", by_alias=True))
    set_rate_limit_headers(response, limited)
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post(
    "",
    summary="Verify a certificate by its verification code (CERT-XXXX-XXXX)",
    response_model=VerificationOut,
    responses=errors(404, 415, 422, 429),
)
async def verify_by_code(
    body: VerifyCodeIn, request: Request, session: DbSession, limited: Limited
) -> JSONResponse:
    found = await verification.verify_code(session, request.app.state.settings, body.code)
    response = JSONResponse(VerificationOut.of(found).model_dump(mode="json", by_alias=True))
    set_rate_limit_headers(response, limited)
    response.headers["Cache-Control"] = "no-store"
    return response


@keys_router.get(
    "/issuer",
    summary="The issuer profile with its Ed25519 public key (Multikey)",
    response_class=JSONResponse,
    responses={**JSON_DOC, **errors(422)},
)
async def issuer_profile(request: Request, session: DbSession) -> JSONResponse:
    settings = request.app.state.settings
    key = await badges.signing_key(session, settings)
    return JSONResponse(badges.issuer_profile(settings, key), media_type="application/ld+json")


@keys_router.get(
    "/status-lists/1",
    summary="The revocation status list (a signed Bitstring Status List credential)",
    response_class=JSONResponse,
    responses={**JSON_DOC, **errors(422)},
)
async def status_list(request: Request, session: DbSession) -> JSONResponse:
    document = await badges.status_list_credential(session, request.app.state.settings, utcnow())
    return JSONResponse(
        document, media_type="application/ld+json", headers={"Cache-Control": "max-age=60"}
    )


# --------------------------------------------------------------------------- the HTML page

_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
}
_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem;"
    "line-height:1.5}.valid{color:#060}.expired{color:#a60}.revoked{color:#a00}dt{font-weight:600}"
)


def _html(title: str, body: str, status: int = 200) -> HTMLResponse:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=_HEADERS)


def _describe(found: Verification) -> str:
    labels = {"valid": "Valid", "expired": "Expired", "revoked": "Revoked"}
    rows = [
        ("Status", f'<span class="{found.state}">{labels[found.state]}</span>'),
        ("Awarded to", escape(found.learner_name)),
        ("Course", escape(found.course_title)),
        ("Issued by", escape(found.issuer)),
        ("Issued on", escape(found.issued_at.date().isoformat())),
        ("Certificate number", escape(found.number)),
    ]
    if found.expires_at is not None:
        rows.append(("Valid until", escape(found.expires_at.date().isoformat())))
    if found.state == "revoked" and found.revoked_at is not None:
        rows.append(("Revoked on", escape(found.revoked_at.date().isoformat())))
        rows.append(("Reason", escape(found.revocation_reason or "")))
    return "<dl>" + "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows) + "</dl>"


@page_router.get("/verify/{public_id}", response_class=HTMLResponse)
async def verification_page(
    public_id: PublicId,
    request: Request,
    session: DbSession,
    limited: Limited,
    code: CodeQuery = None,
) -> HTMLResponse:
    try:
        found = await verification.verify(session, request.app.state.settings, public_id, code)
    except CertificateNotFound:
        response = _html("Certificate not found", "<p>No certificate matches this link.</p>", 404)
    else:
        response = _html("Certificate verification", _describe(found))
    set_rate_limit_headers(response, limited)
    return response

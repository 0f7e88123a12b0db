"""A learner's certificates (list, files, Open Badges credential, share links, visibility),
staff lists, approvals, revocation and reissue, and certificate rules."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from campus.credentials.endpoints.errors import errors
from campus.credentials.schemas.certificates import (
    CertificateHistoryOut,
    CertificateOut,
    CertificateRuleIn,
    CertificateRuleOut,
    CertificateVisibilityIn,
    DownloadOut,
    HistoryEntryOut,
    ReasonIn,
    ShareOut,
)
from campus.credentials.service import badges, certificates, rules
from campus.credentials.settings import CredentialsSettings
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params

router = api_router(prefix="/certificates", tags=["certificates"])
course_router = api_router(prefix="/courses", tags=["certificates"])

JSON_LD: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/ld+json": {"schema": {"type": "object"}}},
        "description": "The signed Open Badges 3.0 credential (eddsa-rdfc-2022 proof)",
    }
}
JWT: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/vc+jwt": {"schema": {"type": "string"}}},
        "description": "The credential as a VC-JWT (EdDSA)",
    }
}


@router.get(
    "",
    summary="My certificates, newest first",
    response_model=Page[CertificateOut],
    responses=errors(401, 422),
)
async def list_my_certificates(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[CertificateOut]:
    found, total = await certificates.list_mine(session, principal, params.limit, params.offset)
    return Page.build([CertificateOut.of(c) for c in found], total, params)


@router.get(
    "/{certificate_id}",
    summary="One of my certificates (poll renderStatus until ready)",
    response_model=CertificateOut,
    responses=errors(401, 404, 422),
)
async def get_my_certificate(
    certificate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CertificateOut:
    return CertificateOut.of(await certificates.get_mine(session, principal, certificate_id))


@router.patch(
    "/{certificate_id}",
    summary="Opt a certificate in or out of public verification",
    response_model=CertificateOut,
    responses=errors(401, 404, 415, 422),
)
async def set_certificate_visibility(
    certificate_id: uuid.UUID,
    body: CertificateVisibilityIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CertificateOut:
    return CertificateOut.of(
        await certificates.set_public(session, principal, certificate_id, body.is_public)
    )


@router.get(
    "/{certificate_id}/download",
    summary="A short-lived link to my certificate's PDF or PNG",
    response_model=DownloadOut,
    responses=errors(401, 404, 409, 422),
)
async def download_certificate(
    certificate_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    format: Annotated[Literal["pdf", "png"], Query()] = "pdf",
) -> DownloadOut:
    found = await certificates.download(
        session,
        request.app.state.settings,
        request.app.state.storage,
        principal,
        certificate_id,
        format,
    )
    return DownloadOut.of(found)


@router.get(
    "/{certificate_id}/credential",
    summary="My certificate as a signed Open Badges 3.0 credential (JSON-LD)",
    response_class=JSONResponse,
    responses={**JSON_LD, **errors(401, 404, 422)},
)
async def get_credential(
    certificate_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> JSONResponse:
    credential = await certificates.credential_of(
        session, request.app.state.settings, principal, certificate_id
    )
    return JSONResponse(
        credential,
        media_type="application/ld+json",
        headers={"Content-Disposition": 'attachment; filename="credential.json"'},
    )


@router.get(
    "/{certificate_id}/credential.jwt",
    summary="My certificate as a VC-JWT",
    response_class=Response,
    responses={**JWT, **errors(401, 404, 422)},
)
async def get_credential_jwt(
    certificate_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> Response:
    token = await certificates.credential_jwt_of(
        session, request.app.state.settings, principal, certificate_id
    )
    return Response(
        token,
        media_type="application/vc+jwt",
        headers={"Content-Disposition": 'attachment; filename="credential.jwt"'},
    )


@router.get(
    "/{certificate_id}/share",
    summary="My certificate's share link and LinkedIn add-to-profile link",
    response_model=ShareOut,
    responses=errors(401, 404, 422),
)
async def share_certificate(
    certificate_id: uuid.UUID, request: Request, session: DbSession, principal: CurrentPrincipal
) -> ShareOut:
    record = await certificates.get_mine(session, principal, certificate_id)
    settings = request.app.state.settings
    url = badges.verify_url(settings, record.public_id)
    issued = record.issued_at or record.completed_at
    query = {
        "startTask": "CERTIFICATION_NAME",
        "name": record.course_title,
        "organizationName": CredentialsSettings.of(settings).issuer_name,
        "issueYear": str(issued.year),
        "issueMonth": str(issued.month),
        "certUrl": url,
        "certId": record.number,
    }
    if record.expires_at is not None:
        query |= {
            "expirationYear": str(record.expires_at.year),
            "expirationMonth": str(record.expires_at.month),
        }
    linkedin = "https://www.linkedin.com/profile/add?" + urlencode(query)
    return ShareOut(verification_url=url, linkedin_url=linkedin)


@router.get(
    "/{certificate_id}/history",
    summary="What happened to a certificate (its learner, the course's staff)",
    response_model=CertificateHistoryOut,
    responses=errors(401, 404, 422),
)
async def certificate_history(
    certificate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CertificateHistoryOut:
    found = await certificates.history_of(session, principal, certificate_id)
    return CertificateHistoryOut(
        certificate_id=certificate_id,
        entries=[HistoryEntryOut(action=a, at=at, detail=d) for a, at, d in found],
    )


@router.post(
    "/{certificate_id}/approve",
    summary="Approve a certificate waiting for approval (the course's staff)",
    response_model=CertificateOut,
    responses=errors(401, 404, 409, 422),
)
async def approve_certificate(
    certificate_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> CertificateOut:
    return CertificateOut.of(await certificates.approve(session, principal, certificate_id))


@router.post(
    "/{certificate_id}/reject",
    summary="Reject a certificate waiting for approval, with a reason",
    response_model=CertificateOut,
    responses=errors(401, 404, 409, 415, 422),
)
async def reject_certificate(
    certificate_id: uuid.UUID, body: ReasonIn, session: DbSession, principal: CurrentPrincipal
) -> CertificateOut:
    return CertificateOut.of(
        await certificates.reject(session, principal, certificate_id, body.reason)
    )


@router.post(
    "/{certificate_id}/revoke",
    summary="Revoke an issued certificate, with a reason (admins)",
    response_model=CertificateOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def revoke_certificate(
    certificate_id: uuid.UUID, body: ReasonIn, session: DbSession, principal: CurrentPrincipal
) -> CertificateOut:
    return CertificateOut.of(
        await certificates.revoke(session, principal, certificate_id, body.reason)
    )


@router.post(
    "/{certificate_id}/reissue",
    summary="Render a certificate again (same number and public id), e.g. after a name change",
    response_model=CertificateOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def reissue_certificate(
    certificate_id: uuid.UUID, body: ReasonIn, session: DbSession, principal: CurrentPrincipal
) -> CertificateOut:
    return CertificateOut.of(
        await certificates.reissue(session, principal, certificate_id, body.reason)
    )


@course_router.get(
    "/{course_id}/certificates",
    summary="A course's certificates (its staff), filtered by status",
    response_model=Page[CertificateOut],
    responses=errors(401, 403, 422),
)
async def list_course_certificates(
    course_id: uuid.UUID,
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    status: Annotated[Literal["pending", "issued", "rejected", "revoked"] | None, Query()] = None,
) -> Page[CertificateOut]:
    found, total = await certificates.list_for_course(
        session, principal, course_id, status, params.limit, params.offset
    )
    return Page.build([CertificateOut.of(c) for c in found], total, params)


@course_router.put(
    "/{course_id}/versions/{version_id}/certificate-rule",
    summary="Set whether and on what terms a course version awards a certificate",
    response_model=CertificateRuleOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def set_certificate_rule(
    course_id: uuid.UUID,
    version_id: uuid.UUID,
    body: CertificateRuleIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> CertificateRuleOut:
    rule = await rules.set_rule(
        session,
        principal,
        course_id,
        version_id,
        awards=body.awards,
        min_average_quiz_score=body.min_average_quiz_score,
        required_item_ids=body.required_item_ids,
        manual_approval=body.manual_approval,
        template_id=body.template_id,
        valid_months=body.valid_months,
        badge_module_ids=body.badge_module_ids,
        track_badge=body.track_badge,
    )
    return CertificateRuleOut(
        course_id=rule.course_id,
        version_id=rule.version_id,
        awards=rule.awards,
        min_average_quiz_score=rule.min_average_quiz_score,
        required_item_ids=list(rule.required_item_ids),
        manual_approval=rule.manual_approval,
        template_id=rule.template_id,
        valid_months=rule.valid_months,
        badge_module_ids=list(rule.badge_module_ids),
        track_badge=rule.track_badge,
    )

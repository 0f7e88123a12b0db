"""Certificate templates (admins; instructors for their courses) and their PDF preview."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any, Literal

from fastapi import Depends, File, Query, Request, Response, UploadFile

from campus.credentials.endpoints.errors import errors
from campus.credentials.schemas.certificates import (
    ReasonIn,
    ReissueRunOut,
    TemplateIn,
    TemplateOut,
)
from campus.credentials.service import reissue_runs, templates
from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.kernel.schemas import LANGUAGE_TAG_PATTERN

router = api_router(prefix="/certificate-templates", tags=["certificate templates"])

PDF: dict[int | str, dict[str, Any]] = {
    200: {
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
        "description": "The template drawn with sample data",
    }
}


def _out(record: templates.TemplateRecord) -> TemplateOut:
    return TemplateOut.model_validate(record)


@router.post(
    "",
    status_code=201,
    summary="Create a certificate template",
    response_model=TemplateOut,
    responses=errors(401, 403, 415, 422),
)
async def create_template(
    body: TemplateIn, session: DbSession, principal: CurrentPrincipal
) -> TemplateOut:
    return _out(await templates.create(session, principal, body.values()))


@router.get(
    "",
    summary="Certificate templates (all for admins; a course's for its instructors)",
    response_model=Page[TemplateOut],
    responses=errors(401, 403, 422),
)
async def list_templates(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    course_id: Annotated[uuid.UUID | None, Query(alias="courseId")] = None,
) -> Page[TemplateOut]:
    found, total = await templates.list_templates(
        session, principal, course_id, params.limit, params.offset
    )
    return Page.build([_out(t) for t in found], total, params)


@router.get(
    "/{template_id}",
    summary="One certificate template",
    response_model=TemplateOut,
    responses=errors(401, 404, 422),
)
async def get_template(
    template_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> TemplateOut:
    return _out(await templates.get(session, principal, template_id))


@router.put(
    "/{template_id}",
    summary="Replace a certificate template",
    response_model=TemplateOut,
    responses=errors(401, 404, 415, 422),
)
async def replace_template(
    template_id: uuid.UUID, body: TemplateIn, session: DbSession, principal: CurrentPrincipal
) -> TemplateOut:
    values = body.values()
    values.pop("course_id")
    return _out(await templates.update(session, principal, template_id, values))


@router.delete(
    "/{template_id}",
    status_code=204,
    summary="Delete a certificate template",
    response_class=Response,
    responses=errors(401, 404, 422),
)
async def delete_template(
    template_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> Response:
    await templates.delete(session, principal, template_id)
    return Response(status_code=204)


@router.get(
    "/{template_id}/preview.pdf",
    summary="Preview a template as a PDF with sample data",
    response_class=Response,
    responses={**PDF, **errors(401, 404, 422)},
)
async def preview_template(
    template_id: uuid.UUID,
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
    language: Annotated[str | None, Query(pattern=LANGUAGE_TAG_PATTERN, max_length=35)] = None,
) -> Response:
    pdf = await templates.preview(
        session,
        request.app.state.settings,
        request.app.state.storage,
        principal,
        template_id,
        language,
    )
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"},
    )


#: The image upload route: its body may reach ``CAMPUS_UPLOAD_MAX_BYTES`` (the service caps
#: images at 2 MiB and 4000 x 4000 pixels).
UPLOAD_PATHS = re.compile(r"^/api/v1/certificate-templates/[^/]+/images/[a-z]+/?$")


@router.put(
    "/{template_id}/images/{kind}",
    summary="Set a template's background, logo or signature image (PNG or JPEG, 2 MiB)",
    response_model=TemplateOut,
    responses=errors(401, 404, 413, 415, 422),
)
async def set_template_image(
    template_id: uuid.UUID,
    kind: Literal["background", "logo", "signature"],
    file: Annotated[UploadFile, File(description="The image (type checked from its content)")],
    request: Request,
    session: DbSession,
    principal: CurrentPrincipal,
) -> TemplateOut:
    return _out(
        await templates.set_image(
            session,
            request.app.state.storage,
            principal,
            template_id,
            kind,
            file,
            file.filename,
        )
    )


@router.post(
    "/{template_id}/reissue",
    status_code=202,
    summary="Reissue every issued certificate of a template, as a job (admins)",
    response_model=ReissueRunOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def reissue_template_certificates(
    template_id: uuid.UUID, body: ReasonIn, session: DbSession, principal: CurrentPrincipal
) -> ReissueRunOut:
    run = await reissue_runs.start(session, principal, template_id, body.reason)
    return ReissueRunOut.model_validate(run)


runs_router = api_router(prefix="/certificate-reissues", tags=["certificate templates"])


@runs_router.get(
    "/{run_id}",
    summary="A bulk reissue's progress",
    response_model=ReissueRunOut,
    responses=errors(401, 403, 404, 422),
)
async def get_reissue_run(
    run_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> ReissueRunOut:
    return ReissueRunOut.model_validate(await reissue_runs.get(session, principal, run_id))

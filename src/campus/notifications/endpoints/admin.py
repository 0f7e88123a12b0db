"""Admin: notification types, templates (versions, saving, previews), delivery logs, resend,
test send, statistics; the email provider's signed status webhook."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Annotated

from fastapi import Depends, Form, Header, Path, Query, Request

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.http import api_router
from campus.kernel.pagination import Page, PageParams, page_params
from campus.notifications.data import NOTIFICATION_ADMIN, TYPES, Channel, DeliveryStatus
from campus.notifications.endpoints.errors import errors
from campus.notifications.schemas.notifications import (
    EmailProviderEventIn,
    EmailProviderEventOut,
    LanguageTag,
    NotificationDeliveryOut,
    NotificationPreviewOut,
    NotificationStatsOut,
    NotificationTemplateIn,
    NotificationTemplateOut,
    NotificationTemplatePreviewIn,
    NotificationTestSendIn,
    NotificationTestSendOut,
    NotificationTypeOut,
)
from campus.notifications.service import admin, templates
from campus.notifications.settings import NotificationsSettings

router = api_router(prefix="/notifications/admin", tags=["notification admin"])
webhook_router = api_router(prefix="/notifications/webhooks", tags=["notification admin"])

TypeCode = Annotated[str, Path(max_length=60)]


def _day(value: date | None) -> datetime | None:
    return None if value is None else datetime.combine(value, time(0), tzinfo=UTC)


@router.get(
    "/types",
    summary="Every notification type",
    response_model=Page[NotificationTypeOut],
    responses=errors(401, 403, 422),
)
async def list_types(
    principal: CurrentPrincipal, params: Annotated[PageParams, Depends(page_params)]
) -> Page[NotificationTypeOut]:
    principal.require(NOTIFICATION_ADMIN)
    kinds = list(TYPES.values())
    chosen = kinds[params.offset : params.offset + params.limit]
    return Page.build([NotificationTypeOut.of(kind) for kind in chosen], len(kinds), params)


@router.get(
    "/templates/{type_code}/{channel}/{language}",
    summary="A template's versions, newest first (version 0 is the shipped one)",
    response_model=Page[NotificationTemplateOut],
    responses=errors(401, 403, 404, 422),
)
async def template_versions(
    type_code: TypeCode,
    channel: Channel,
    language: Annotated[LanguageTag, Path()],
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
) -> Page[NotificationTemplateOut]:
    principal.require(NOTIFICATION_ADMIN)
    found = await templates.versions(session, type_code, channel, language)
    chosen = found[params.offset : params.offset + params.limit]
    return Page.build([NotificationTemplateOut.of(t) for t in chosen], len(found), params)


@router.post(
    "/templates/{type_code}/{channel}/{language}",
    summary="Save a new version of a template (placeholders checked)",
    status_code=201,
    response_model=NotificationTemplateOut,
    responses=errors(401, 403, 404, 409, 415, 422),
)
async def save_template(
    type_code: TypeCode,
    channel: Channel,
    language: Annotated[LanguageTag, Path()],
    body: NotificationTemplateIn,
    session: DbSession,
    principal: CurrentPrincipal,
) -> NotificationTemplateOut:
    principal.require(NOTIFICATION_ADMIN)
    return NotificationTemplateOut.of(
        await templates.save(
            session,
            type_code=type_code,
            channel=channel,
            language=language,
            subject=body.subject,
            body_text=body.body_text,
            body_html=body.body_html,
            author_id=principal.user_id,
        )
    )


@router.post(
    "/template-previews/{type_code}/{channel}",
    summary="Render a template with sample data, without saving it",
    response_model=NotificationPreviewOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def preview_template(
    type_code: TypeCode,
    channel: Channel,
    body: NotificationTemplatePreviewIn,
    request: Request,
    principal: CurrentPrincipal,
) -> NotificationPreviewOut:
    principal.require(NOTIFICATION_ADMIN)
    kind = templates.notification_type(type_code)
    name = NotificationsSettings.of(request.app.state.settings).platform_name
    return NotificationPreviewOut.of(
        templates.preview(
            kind,
            channel,
            body.subject,
            body.body_text,
            body.body_html,
            name,
            dict(body.values or {}),
        )
    )


@router.get(
    "/deliveries",
    summary="Delivery logs, newest first, filtered by user, type, channel, status and date",
    response_model=Page[NotificationDeliveryOut],
    responses=errors(401, 403, 422),
)
async def delivery_logs(
    session: DbSession,
    principal: CurrentPrincipal,
    params: Annotated[PageParams, Depends(page_params)],
    user_id: Annotated[uuid.UUID | None, Query(alias="userId")] = None,
    type_code: Annotated[str | None, Query(alias="typeCode", max_length=60)] = None,
    channel: Channel | None = None,
    status: DeliveryStatus | None = None,
    since: Annotated[date | None, Query(description="From this UTC day (inclusive)")] = None,
    until: Annotated[date | None, Query(description="Before this UTC day (exclusive)")] = None,
) -> Page[NotificationDeliveryOut]:
    found, total = await admin.logs(
        session,
        principal,
        admin.LogFilter(user_id, type_code, channel, status, _day(since), _day(until)),
        offset=params.offset,
        limit=params.limit,
    )
    return Page.build([NotificationDeliveryOut.of(d) for d in found], total, params)


@router.post(
    "/deliveries/{delivery_id}/resend",
    summary="Send a delivery again",
    response_model=NotificationDeliveryOut,
    responses=errors(401, 403, 404, 422),
)
async def resend(
    delivery_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> NotificationDeliveryOut:
    return NotificationDeliveryOut.of(await admin.resend(session, principal, delivery_id))


@router.post(
    "/test-send",
    summary="Send a notification of a type to myself, with sample values",
    response_model=NotificationTestSendOut,
    responses=errors(401, 403, 404, 415, 422),
)
async def test_send(
    body: NotificationTestSendIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> NotificationTestSendOut:
    created = await admin.test_send(session, request.app.state.settings, principal, body.type_code)
    return NotificationTestSendOut(notification_id=created)


@router.get(
    "/stats",
    summary="Deliveries per channel and status",
    response_model=NotificationStatsOut,
    responses=errors(401, 403, 422),
)
async def stats(
    session: DbSession,
    principal: CurrentPrincipal,
    since: Annotated[date | None, Query(description="From this UTC day (inclusive)")] = None,
) -> NotificationStatsOut:
    return NotificationStatsOut(channels=await admin.stats(session, principal, _day(since)))


@webhook_router.post(
    "/email",
    summary="Email provider status callback (HMAC-SHA256 of the body in X-Campus-Signature)",
    response_model=EmailProviderEventOut,
    responses=errors(401, 415, 422),
)
async def email_status(
    event: EmailProviderEventIn,
    request: Request,
    session: DbSession,
    x_campus_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> EmailProviderEventOut:
    # The signature covers the exact bytes received (the parsed body is checked afterwards).
    admin.check_signature(request.app.state.settings, await request.body(), x_campus_signature)
    applied = await admin.provider_event(
        session,
        message_id=event.message_id,
        event=event.event,
        hard=event.hard,
        detail=event.detail,
    )
    return EmailProviderEventOut(applied=applied)


@webhook_router.post(
    "/sms",
    summary="SMS provider (Twilio) status callback, signed with X-Twilio-Signature",
    response_model=EmailProviderEventOut,
    responses=errors(401, 415, 422),
)
async def sms_status(
    request: Request,
    session: DbSession,
    message_sid: Annotated[str, Form(alias="MessageSid", max_length=64)],
    message_status: Annotated[str, Form(alias="MessageStatus", max_length=32)],
    x_twilio_signature: Annotated[str | None, Header(max_length=200)] = None,
) -> EmailProviderEventOut:
    del message_sid, message_status  # read with every other field for the signature
    form = await request.form()
    params = {name: str(value) for name, value in form.multi_items()}
    applied = await admin.sms_status(
        session, request.app.state.settings, params, x_twilio_signature
    )
    return EmailProviderEventOut(applied=applied)

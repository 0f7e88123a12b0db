"""The in-app inbox, its real-time stream (Server-Sent Events), preferences and the one-click
unsubscribe endpoint."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator
from typing import Annotated, Literal

from fastapi import Form, Query, Request
from fastapi.responses import StreamingResponse

from campus.kernel.auth import CurrentPrincipal, DbSession
from campus.kernel.errors import NotFound, field_error
from campus.kernel.http import api_router
from campus.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, CursorPage
from campus.kernel.schemas import Message
from campus.notifications.endpoints.errors import errors
from campus.notifications.schemas.notifications import (
    NotificationOut,
    NotificationPreferencesIn,
    NotificationPreferencesOut,
    NotificationsReadAllOut,
    NotificationUnreadCountOut,
    PushEndpointIn,
    PushKeyOut,
    PushSubscriptionIn,
)
from campus.notifications.service import devices, inbox, preferences, realtime, unsubscribe

router = api_router(prefix="/notifications", tags=["notifications"])

#: A comment line this often keeps proxies from closing an idle stream.
HEARTBEAT_SECONDS = 15.0


@router.get(
    "",
    summary="My inbox: newest first, or unread first (cursor-paginated)",
    response_model=CursorPage[NotificationOut],
    responses=errors(401, 422),
)
async def list_inbox(
    session: DbSession,
    principal: CurrentPrincipal,
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    order: Annotated[
        Literal["newest", "unread_first"],
        Query(description="`newest` first, or `unread_first` (each group newest first)"),
    ] = "newest",
    archived: bool = False,
) -> CursorPage[NotificationOut]:
    items, next_cursor = await inbox.list_page(
        session,
        principal.user_id,
        cursor=cursor,
        limit=limit,
        unread_first=order == "unread_first",
        archived=archived,
    )
    return CursorPage[NotificationOut](
        items=[NotificationOut.of(i) for i in items], next_cursor=next_cursor, limit=limit
    )


@router.get(
    "/unread-count",
    summary="How many of my notifications are unread",
    response_model=NotificationUnreadCountOut,
    responses=errors(401, 422),
)
async def unread_count(
    session: DbSession, principal: CurrentPrincipal
) -> NotificationUnreadCountOut:
    return NotificationUnreadCountOut(unread=await inbox.unread_count(session, principal.user_id))


@router.post(
    "/read-all",
    summary="Mark all my notifications read",
    response_model=NotificationsReadAllOut,
    responses=errors(401, 422),
)
async def read_all(session: DbSession, principal: CurrentPrincipal) -> NotificationsReadAllOut:
    return NotificationsReadAllOut(marked=await inbox.read_all(session, principal.user_id))


async def _events(
    request: Request, stream: AsyncIterator[dict[str, object]]
) -> AsyncIterator[bytes]:
    yield b": connected\n\n"
    iterator = aiter(stream)
    try:
        while True:
            try:
                message = await asyncio.wait_for(anext(iterator), timeout=HEARTBEAT_SECONDS)
            except TimeoutError:
                if await request.is_disconnected():
                    return
                yield b": keep-alive\n\n"
                continue
            data = json.dumps(message, separators=(",", ":"), default=str)
            yield f"id: {message.get('id')}\nevent: notification\ndata: {data}\n\n".encode()
    finally:
        with contextlib.suppress(Exception):
            await iterator.aclose()  # type: ignore[attr-defined]


@router.get(
    "/stream",
    summary="New notifications as they arrive (Server-Sent Events)",
    response_class=StreamingResponse,
    response_model=None,
    responses={
        200: {
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
            "description": "An event `notification` with the inbox item as JSON per new "
            "notification; comment lines as keep-alives",
        },
        **errors(401, 422),
    },
)
async def stream(request: Request, principal: CurrentPrincipal) -> StreamingResponse:
    settings = request.app.state.settings
    broker = realtime.broker_for(settings.redis_url, settings.redis_namespace)
    await broker.start()
    return StreamingResponse(
        _events(request, broker.stream(principal.user_id)),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get(
    "/preferences",
    summary="My notification preferences",
    response_model=NotificationPreferencesOut,
    responses=errors(401, 422),
)
async def get_preferences(
    session: DbSession, principal: CurrentPrincipal
) -> NotificationPreferencesOut:
    return NotificationPreferencesOut.of(await preferences.get(session, principal.user_id))


@router.patch(
    "/preferences",
    summary="Change my notification preferences (given fields only)",
    response_model=NotificationPreferencesOut,
    responses=errors(401, 415, 422),
)
async def update_preferences(
    body: NotificationPreferencesIn, session: DbSession, principal: CurrentPrincipal
) -> NotificationPreferencesOut:
    return NotificationPreferencesOut.of(
        await preferences.update(session, principal.user_id, body.changes())
    )


@router.get(
    "/push/key",
    summary="The VAPID key browsers subscribe to web push with (applicationServerKey)",
    response_model=PushKeyOut,
    responses=errors(401, 404, 422),
)
async def push_key(request: Request, principal: CurrentPrincipal) -> PushKeyOut:
    del principal
    return PushKeyOut(application_server_key=devices.server_key(request.app.state.settings))


@router.post(
    "/push-subscriptions",
    summary="Register this browser for web push",
    status_code=204,
    responses=errors(401, 404, 415, 422),
)
async def subscribe_push(
    body: PushSubscriptionIn, request: Request, session: DbSession, principal: CurrentPrincipal
) -> None:
    await devices.subscribe(
        session,
        request.app.state.settings,
        principal.user_id,
        endpoint=body.endpoint,
        p256dh=body.keys.p256dh,
        auth=body.keys.auth,
    )


@router.post(
    "/push-subscriptions/remove",
    summary="Stop web push to a browser of mine",
    status_code=204,
    responses=errors(401, 404, 415, 422),
)
async def unsubscribe_push(
    body: PushEndpointIn, session: DbSession, principal: CurrentPrincipal
) -> None:
    if not await devices.unsubscribe(session, principal.user_id, body.endpoint):
        raise NotFound("No such push subscription of yours.", code="push_subscription_not_found")


@router.post(
    "/unsubscribe",
    summary="One-click unsubscribe (RFC 8058) from the link in an email's List-Unsubscribe",
    response_model=Message,
    responses=errors(415, 422),
)
async def one_click_unsubscribe(
    request: Request,
    session: DbSession,
    token: Annotated[str, Query(min_length=10, max_length=200)],
    one_click: Annotated[
        Literal["One-Click"] | None, Form(alias="List-Unsubscribe", max_length=20)
    ] = None,
) -> Message:
    del one_click  # RFC 8058 sends "List-Unsubscribe=One-Click"; a bare POST works as well
    found = unsubscribe.parse(request.app.state.settings, token)
    if found is None:
        raise field_error("token", "The unsubscribe link is invalid.")
    user_id, category = found
    await preferences.unsubscribe(session, user_id, category)
    return Message(message=f"You will no longer receive {category.value} emails.")


@router.post(
    "/{notification_id}/read",
    summary="Mark one of my notifications read",
    response_model=NotificationOut,
    responses=errors(401, 404, 422),
)
async def mark_read(
    notification_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> NotificationOut:
    return NotificationOut.of(
        await inbox.mark_read(session, principal.user_id, notification_id, True)
    )


@router.post(
    "/{notification_id}/unread",
    summary="Mark one of my notifications unread",
    response_model=NotificationOut,
    responses=errors(401, 404, 422),
)
async def mark_unread(
    notification_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> NotificationOut:
    return NotificationOut.of(
        await inbox.mark_read(session, principal.user_id, notification_id, False)
    )


@router.post(
    "/{notification_id}/archive",
    summary="Archive one of my notifications",
    response_model=NotificationOut,
    responses=errors(401, 404, 422),
)
async def archive(
    notification_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> NotificationOut:
    return NotificationOut.of(
        await inbox.archive(session, principal.user_id, notification_id, True)
    )


@router.post(
    "/{notification_id}/unarchive",
    summary="Bring one of my notifications back from the archive",
    response_model=NotificationOut,
    responses=errors(401, 404, 422),
)
async def unarchive(
    notification_id: uuid.UUID, session: DbSession, principal: CurrentPrincipal
) -> NotificationOut:
    return NotificationOut.of(
        await inbox.archive(session, principal.user_id, notification_id, False)
    )

"""Test-only routes mounted on the app by ``tests/kernel/conftest.py`` (never in production)."""

from __future__ import annotations

import logging
import uuid
from operator import itemgetter
from typing import Annotated, TypedDict

from fastapi import Depends, Form, Query, Request
from pydantic import BaseModel

from campus.kernel.auth import DbSession
from campus.kernel.errors import Conflict, RateLimited
from campus.kernel.http import api_router
from campus.kernel.logging import get_logger
from campus.kernel.pagination import (
    Page,
    PageParams,
    decode_cursor,
    encode_cursor,
    page_params,
    parse_sort,
)
from campus.kernel.ratelimit import rate_limit
from campus.kernel.schemas import ApiModel, InputModel
from tests.kernel.raw_events import publish_event

PREFIX = "/api/v1/kernel-test"
router = api_router(prefix=PREFIX, tags=["kernel-test"])
log = get_logger("campus.kernel_test")
stdlib_log = logging.getLogger("campus.kernel_test.stdlib")


class ItemRow(TypedDict):
    id: int
    name: str


ITEMS: list[ItemRow] = [{"id": i, "name": f"item-{i:03d}"} for i in range(1, 251)]
SORTABLE = {"id": "id", "name": "name"}


class EchoIn(InputModel):
    name: str
    count: int


class EchoOut(ApiModel):
    name: str
    count: int


class Item(ApiModel):
    id: int
    name: str


class LoginIn(InputModel):
    email: str
    password: str


class NameIn(InputModel):
    name: str


class Written(ApiModel):
    message_id: uuid.UUID


@router.get("/boom", summary="Raises a plain exception")
async def boom() -> None:
    raise RuntimeError("secret internal detail in /srv/campus/internal.py line 42")


@router.post("/echo", summary="Takes a JSON body", response_model=EchoOut)
async def echo(body: EchoIn) -> EchoOut:
    return EchoOut(name=body.name, count=body.count)


@router.post("/form", summary="Takes a form", response_model=EchoOut)
async def form(name: Annotated[str, Form()], count: Annotated[int, Form()]) -> EchoOut:
    return EchoOut(name=name, count=count)


@router.get(
    "/limited",
    summary="Two hits per minute per client",
    dependencies=[Depends(rate_limit("kernel_test.limited", "2/minute"))],
)
async def limited() -> dict[str, bool]:
    return {"ok": True}


@router.get("/whoami", summary="The client address the app sees")
async def whoami(request: Request) -> dict[str, str]:
    return {"client": request.client.host if request.client else "", "scheme": request.url.scheme}


@router.get("/too-many", summary="Raises RateLimited")
async def too_many() -> None:
    raise RateLimited(30)


@router.get("/items", summary="A paginated, sortable list", response_model=Page[Item])
async def list_items(
    params: Annotated[PageParams, Depends(page_params)],
    sort: Annotated[str | None, Query()] = None,
) -> Page[Item]:
    specs = parse_sort(sort, SORTABLE, "id")
    rows = list(ITEMS)
    for spec in reversed(specs):
        rows.sort(key=itemgetter(spec.field), reverse=spec.descending)
    window = rows[params.offset : params.offset + params.limit]
    return Page[Item].build([Item(**row) for row in window], len(rows), params)


@router.get("/names", summary="Items whose name is one of the given ones (a list parameter)")
async def items_named(
    name: Annotated[list[str] | None, Query(max_length=20)] = None,
) -> dict[str, list[str]]:
    wanted = set(name or ())
    return {"names": [row["name"] for row in ITEMS if row["name"] in wanted]}


@router.post("/items", summary="Exists so that /items has two methods")
async def create_item(body: NameIn) -> dict[str, str]:
    return {"name": body.name}


@router.get("/feed", summary="Cursor pagination")
async def feed(
    cursor: Annotated[str | None, Query(max_length=512)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
) -> dict[str, object]:
    after = int(decode_cursor(cursor, ["after"])["after"]) if cursor else 0
    window = [item for item in ITEMS if item["id"] > after][:limit]
    next_cursor = encode_cursor({"after": window[-1]["id"]}) if len(window) == limit else None
    return {"items": window, "nextCursor": next_cursor}


@router.get("/items/{item_id}", summary="One item", response_model=Item)
async def get_item(item_id: int) -> Item:
    return Item(**ITEMS[item_id - 1])


@router.get("/log", summary="Logs through structlog and the standard library")
async def log_something() -> dict[str, bool]:
    log.info("structlog_line", detail="from structlog")
    stdlib_log.warning("stdlib line %s", "from logging")
    return {"ok": True}


@router.post("/login", summary="Logs carelessly: secrets must still not reach the logs")
async def careless_login(body: LoginIn, request: Request) -> dict[str, bool]:
    log.info("login_attempt", body=body.model_dump(), headers=dict(request.headers))
    log.info(f"raw authorization header: {request.headers.get('authorization')}")
    stdlib_log.info("login for %s with password=%s", body.email, body.password)
    return {"ok": True}


@router.post("/greet", summary="Logs a user-supplied name")
async def greet(body: NameIn) -> dict[str, bool]:
    log.info("greeting", name=body.name)
    stdlib_log.info("greeting %s", body.name)
    return {"ok": True}


@router.post("/write", summary="Writes an outbox event in the request's unit of work")
async def write(session: DbSession, fail: bool = False) -> Written:
    message_id = await publish_event(session, "kernel_test.written", {"fail": fail})
    await session.flush()
    if fail:
        raise Conflict("Failing after the write.")
    return Written(message_id=message_id)


# A router included the way contexts are (``app.include_router(router, prefix="/api/v1")``),
# with a router-level dependency that reads a query parameter, and a query-parameter model.
INCLUDED_PREFIX = "/api/v1"
included_router = api_router(prefix="/kernel-included", tags=["kernel-test"])


def tenant_param(tenant: Annotated[str | None, Query(max_length=20)] = None) -> str | None:
    return tenant


class Filters(BaseModel):
    status: str | None = None
    q: str | None = None


@included_router.get("/users/{user_id}", summary="A route under an include prefix")
async def included_user(user_id: int, filters: Annotated[Filters, Query()]) -> dict[str, object]:
    return {"userId": user_id, "status": filters.status, "q": filters.q}

"""Idempotency keys: a client-chosen ``Idempotency-Key`` makes a retried write safe (PAY-01).

The first request with a key claims it: an insert that conflicts for every later one, in a
unit of work of its own that commits before the handler runs, so a concurrent request with
the same key sees the claim. The handler then runs in the request's unit of work, and its
response (status and body) is stored in that same transaction, so the effect and the stored
answer commit together. A client error (4xx) is stored too, in a unit of work of its own once
the request's has been rolled back; a server error releases the claim so the client can
retry.

A later request with the same key and the same body gets the stored response again (header
``Idempotent-Replayed: true``); with another body (or another route) it is a 422
``idempotency_key_reused``; while the first is still running it is a 409
``idempotency_in_flight``. Keys are scoped (a user id, or ``anon:<ip>``) so two callers
never share one. They are kept for the time the caller gives (commerce: 24 h), then a periodic
sweep deletes them; a claim whose request died without an answer is taken over after
``IN_FLIGHT_LEASE``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import Request, Response
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from campus.kernel.auth import Principal
from campus.kernel.clock import utcnow
from campus.kernel.db import Base, Database, dialect_insert, rowcount
from campus.kernel.errors import AppError, BadRequest, Conflict, ValidationFailed, envelope
from campus.kernel.http import request_id_of
from campus.kernel.ratelimit import client_ip

#: A claim older than this whose request never stored an answer (the process died) may be
#: taken over by a retry with the same body.
IN_FLIGHT_LEASE = timedelta(minutes=2)
MAX_KEY_LENGTH = 255
HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyKey(Base):
    """One claimed key. ``state`` is ``in_flight`` until the response is stored (``done``)."""

    __tablename__ = "kernel_idempotency_keys"
    __table_args__ = (sa.Index("ix_kernel_idempotency_keys_expires", "expires_at"),)

    scope: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    method_path: Mapped[str] = mapped_column(sa.String(300))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    state: Mapped[str] = mapped_column(sa.String(10), default="in_flight")
    response_status: Mapped[int | None] = mapped_column()
    response_body: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column()


class IdempotencyKeyRequired(BadRequest):
    code = "idempotency_key_required"
    message = "Send an Idempotency-Key header (a unique value per intended operation)."


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"
    message = "An Idempotency-Key has 1 to 255 printable ASCII characters."


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"
    message = "This Idempotency-Key was used with another request body; use a new key."


class IdempotencyInFlight(Conflict):
    code = "idempotency_in_flight"
    message = "A request with this Idempotency-Key is still being processed; retry shortly."


def require_key(value: str | None) -> str:
    """The header's value, checked: 400 when missing or malformed."""
    if value is None or not value.strip():
        raise IdempotencyKeyRequired()
    value = value.strip()
    if len(value) > MAX_KEY_LENGTH or not all(" " <= ch <= "~" for ch in value):
        raise IdempotencyKeyInvalid()
    return value


def scope_of(principal: Principal | None, request: Request) -> str:
    """Whose key it is: the user's id, or the client address for anonymous callers."""
    if principal is not None:
        return str(principal.user_id)
    return f"anon:{client_ip(request)}"[:100]


def request_hash(method_path: str, body: Any) -> str:
    """A stable digest of the route and the parsed body (key order does not matter)."""
    canonical = json.dumps(
        {"route": method_path, "body": body}, sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: str

    def to_response(self) -> Response:
        return Response(
            content=self.body,
            status_code=self.status,
            media_type="application/json",
            headers={REPLAYED_HEADER: "true"},
        )


@dataclass(frozen=True, slots=True)
class Claim:
    """The outcome of ``claim``: ours to run (``replay`` is None) or a stored response."""

    scope: str
    key: str
    replay: StoredResponse | None


async def claim(
    db: Database,
    *,
    scope: str,
    key: str,
    method_path: str,
    digest: str,
    ttl: timedelta,
) -> Claim:
    """Claim ``key`` in a unit of work of its own (committed on return), or answer what the
    first request with it did. Raises 422 for another body, 409 while it is in flight."""
    now = utcnow()
    async with db.session() as session:
        inserted = await session.execute(
            dialect_insert(session, IdempotencyKey)
            .values(
                scope=scope,
                key=key,
                method_path=method_path,
                request_hash=digest,
                state="in_flight",
                created_at=now,
                expires_at=now + ttl,
            )
            .on_conflict_do_nothing(index_elements=["scope", "key"])
        )
        if rowcount(inserted) == 1:
            return Claim(scope, key, None)
        # Take over a key past its time (not swept yet), or a claim whose request died.
        taken = await session.execute(
            sa.update(IdempotencyKey)
            .where(
                IdempotencyKey.scope == scope,
                IdempotencyKey.key == key,
                sa.or_(
                    IdempotencyKey.expires_at <= now,
                    sa.and_(
                        IdempotencyKey.state == "in_flight",
                        IdempotencyKey.request_hash == digest,
                        IdempotencyKey.created_at <= now - IN_FLIGHT_LEASE,
                    ),
                ),
            )
            .values(
                method_path=method_path,
                request_hash=digest,
                state="in_flight",
                response_status=None,
                response_body=None,
                created_at=now,
                expires_at=now + ttl,
            )
            .execution_options(synchronize_session=False)
        )
        if rowcount(taken) == 1:
            return Claim(scope, key, None)
        row = (
            await session.execute(
                sa.select(
                    IdempotencyKey.request_hash,
                    IdempotencyKey.state,
                    IdempotencyKey.response_status,
                    IdempotencyKey.response_body,
                ).where(IdempotencyKey.scope == scope, IdempotencyKey.key == key)
            )
        ).one_or_none()
    if row is None:  # released by a failing first request between our two statements
        raise IdempotencyInFlight()
    if row.request_hash != digest:
        raise IdempotencyKeyReused()
    if row.state != "done" or row.response_status is None:
        raise IdempotencyInFlight()
    return Claim(scope, key, StoredResponse(row.response_status, row.response_body or ""))


async def store(session: AsyncSession, claim: Claim, status: int, body: str) -> None:
    """Record the answer in ``session`` (the request's unit of work: it commits with the
    effects it describes)."""
    await session.execute(
        sa.update(IdempotencyKey)
        .where(
            IdempotencyKey.scope == claim.scope,
            IdempotencyKey.key == claim.key,
            IdempotencyKey.state == "in_flight",
        )
        .values(state="done", response_status=status, response_body=body)
        .execution_options(synchronize_session=False)
    )


async def release(db: Database, claim: Claim) -> None:
    """Forget an unanswered claim (the request failed on the server's side)."""
    async with db.session() as session:
        await session.execute(
            sa.delete(IdempotencyKey)
            .where(
                IdempotencyKey.scope == claim.scope,
                IdempotencyKey.key == claim.key,
                IdempotencyKey.state == "in_flight",
            )
            .execution_options(synchronize_session=False)
        )


def _json(model: BaseModel) -> str:
    return model.model_dump_json(by_alias=True)


async def run(
    request: Request,
    session: AsyncSession,
    *,
    scope: str,
    key: str,
    body: Any,
    ttl: timedelta,
    status_code: int,
    action: Callable[[], Awaitable[BaseModel]],
) -> Response:
    """Run ``action`` at most once per (scope, key): the route's whole idempotent life cycle.

    The request's session must not have written anything yet: its reads (authentication) are
    ended first, so the claim commits on its own."""
    db: Database = request.app.state.db
    method_path = f"{request.method} {request.url.path}"
    await session.commit()  # end the request's reads: the claim is its own unit of work
    found = await claim(
        db,
        scope=scope,
        key=key,
        method_path=method_path,
        digest=request_hash(method_path, body),
        ttl=ttl,
    )
    if found.replay is not None:
        return found.replay.to_response()
    try:
        result = await action()
    except AppError as exc:
        await session.rollback()
        if exc.status_code >= 500:
            await release(db, found)
            raise
        stored = json.dumps(
            envelope(exc.code, exc.message, exc.details, request_id_of(request)),
            separators=(",", ":"),
        )
        async with db.session() as own:
            await store(own, found, exc.status_code, stored)
        raise
    except BaseException:
        await session.rollback()
        await release(db, found)
        raise
    content = _json(result)
    await store(session, found, status_code, content)
    return Response(content=content, status_code=status_code, media_type="application/json")


async def sweep(session: AsyncSession, *, limit: int = 5000) -> int:
    """Delete up to ``limit`` keys past their time; returns how many."""
    now = utcnow()
    expired = (
        sa.select(IdempotencyKey.scope, IdempotencyKey.key)
        .where(IdempotencyKey.expires_at <= now)
        .limit(limit)
    )
    result = await session.execute(
        sa.delete(IdempotencyKey)
        .where(sa.tuple_(IdempotencyKey.scope, IdempotencyKey.key).in_(expired))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result)

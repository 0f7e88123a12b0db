"""Idempotency keys (PAY-01): same key and body answer the stored response (an error too);
another body is a 422; a key in flight is a 409; keys live for their time, then are swept."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa
from fastapi import FastAPI, Request
from pydantic import BaseModel

from campus.kernel import idempotency
from campus.kernel.clock import Clock
from campus.kernel.db import Database
from campus.kernel.errors import Conflict
from campus.kernel.idempotency import IdempotencyKey
from tests.conftest import postgres_only

TTL = timedelta(hours=24)


class Answer(BaseModel):
    n: int


def fake_request(app: FastAPI, path: str = "/api/v1/things") -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": path,
            "headers": [],
            "query_string": b"",
            "app": app,
            "client": ("203.0.113.7", 1234),
            "state": {"request_id": "req-1"},
        }
    )


async def run_once(
    app: FastAPI, db: Database, key: str, body: object, action: object, path: str = "/x"
) -> tuple[int, dict[str, object], bool]:
    async with db.session() as session:
        response = await idempotency.run(
            fake_request(app, path),
            session,
            scope="user-1",
            key=key,
            body=body,
            ttl=TTL,
            status_code=201,
            action=action,  # type: ignore[arg-type]
        )
    replayed = response.headers.get(idempotency.REPLAYED_HEADER) == "true"
    return response.status_code, json.loads(bytes(response.body)), replayed


async def test_the_same_key_and_body_run_once_and_answer_the_stored_response(
    app: FastAPI, db: Database
) -> None:
    calls = 0

    async def action() -> Answer:
        nonlocal calls
        calls += 1
        return Answer(n=calls)

    first = await run_once(app, db, "k1", {"a": 1, "b": [1, 2]}, action)
    # Same body, keys in another order: the same request.
    second = await run_once(app, db, "k1", {"b": [1, 2], "a": 1}, action)
    assert first == (201, {"n": 1}, False)
    assert second == (201, {"n": 1}, True)
    assert calls == 1


async def test_a_client_error_is_stored_and_replayed_without_running_again(
    app: FastAPI, db: Database
) -> None:
    calls = 0

    async def refuse() -> Answer:
        nonlocal calls
        calls += 1
        raise Conflict(code="cart_empty", message="The cart is empty.")

    with pytest.raises(Conflict):
        await run_once(app, db, "k-err", {"a": 1}, refuse)
    status, body, replayed = await run_once(app, db, "k-err", {"a": 1}, refuse)
    assert (status, replayed, calls) == (409, True, 1)
    assert body["error"] == {
        "code": "cart_empty",
        "message": "The cart is empty.",
        "details": {},
        "traceId": "req-1",
    }


async def test_the_same_key_with_another_body_or_route_is_a_422(app: FastAPI, db: Database) -> None:
    async def action() -> Answer:
        return Answer(n=1)

    await run_once(app, db, "k2", {"a": 1}, action)
    with pytest.raises(idempotency.IdempotencyKeyReused) as refused:
        await run_once(app, db, "k2", {"a": 2}, action)
    assert refused.value.status_code == 422
    with pytest.raises(idempotency.IdempotencyKeyReused):
        await run_once(app, db, "k2", {"a": 1}, action, path="/other")


async def test_a_key_in_flight_is_a_409_and_the_first_answer_wins(
    app: FastAPI, db: Database
) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def slow() -> Answer:
        started.set()
        await release.wait()
        return Answer(n=7)

    first = asyncio.create_task(run_once(app, db, "k3", {"a": 1}, slow))
    await started.wait()
    with pytest.raises(idempotency.IdempotencyInFlight) as busy:
        await run_once(app, db, "k3", {"a": 1}, slow)
    assert busy.value.status_code == 409
    release.set()
    assert await first == (201, {"n": 7}, False)
    assert await run_once(app, db, "k3", {"a": 1}, slow) == (201, {"n": 7}, True)


async def test_a_server_error_releases_the_key_so_a_retry_runs(app: FastAPI, db: Database) -> None:
    attempts = 0

    async def flaky() -> Answer:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise RuntimeError("gateway down")
        return Answer(n=attempts)

    with pytest.raises(RuntimeError):
        await run_once(app, db, "k4", {"a": 1}, flaky)
    assert await run_once(app, db, "k4", {"a": 1}, flaky) == (201, {"n": 2}, False)


async def test_an_abandoned_claim_is_taken_over_after_its_lease(
    app: FastAPI, db: Database, frozen_clock: Clock
) -> None:
    await idempotency.claim(
        db, scope="user-1", key="k5", method_path="POST /x", digest="d", ttl=TTL
    )
    with pytest.raises(idempotency.IdempotencyInFlight):
        await idempotency.claim(
            db, scope="user-1", key="k5", method_path="POST /x", digest="d", ttl=TTL
        )
    frozen_clock.advance(seconds=idempotency.IN_FLIGHT_LEASE.total_seconds() + 1)
    taken = await idempotency.claim(
        db, scope="user-1", key="k5", method_path="POST /x", digest="d", ttl=TTL
    )
    assert taken.replay is None


async def test_keys_are_scoped_to_their_caller(app: FastAPI, db: Database) -> None:
    for scope in ("user-1", "user-2"):
        claimed = await idempotency.claim(
            db, scope=scope, key="shared", method_path="POST /x", digest=scope, ttl=TTL
        )
        assert claimed.replay is None


async def test_keys_are_kept_for_their_time_then_swept(
    app: FastAPI, db: Database, frozen_clock: Clock
) -> None:
    async def action() -> Answer:
        return Answer(n=1)

    await run_once(app, db, "k6", {"a": 1}, action)
    frozen_clock.advance(hours=23)
    async with db.session() as session:
        assert await idempotency.sweep(session) == 0
    assert (await run_once(app, db, "k6", {"a": 1}, action))[2] is True
    frozen_clock.advance(hours=2)
    async with db.session() as session:
        assert await idempotency.sweep(session) == 1
        assert await session.scalar(sa.select(sa.func.count()).select_from(IdempotencyKey)) == 0
    # Past its time the key is new again (here: a new body is accepted).
    assert (await run_once(app, db, "k6", {"a": 2}, action))[2] is False


def test_a_missing_or_malformed_key_is_refused() -> None:
    with pytest.raises(idempotency.IdempotencyKeyRequired):
        idempotency.require_key(None)
    with pytest.raises(idempotency.IdempotencyKeyRequired):
        idempotency.require_key("  ")
    with pytest.raises(idempotency.IdempotencyKeyInvalid):
        idempotency.require_key("x" * 256)
    with pytest.raises(idempotency.IdempotencyKeyInvalid):
        idempotency.require_key("bad\u00e9key")
    assert idempotency.require_key(" ok-1 ") == "ok-1"


@postgres_only
async def test_fifty_simultaneous_requests_with_one_key_run_once(
    app: FastAPI, db: Database
) -> None:
    calls = 0
    refused = 0
    gate = asyncio.Event()

    async def action() -> Answer:
        nonlocal calls
        calls += 1
        await gate.wait()  # in flight until every other request has been answered
        return Answer(n=calls)

    async def attempt() -> str:
        nonlocal refused
        try:
            await run_once(app, db, "k-par", {"a": 1}, action)
        except idempotency.IdempotencyInFlight:
            refused += 1
            if refused == 49:
                gate.set()
            return "in_flight"
        return "ran"

    outcomes = await asyncio.gather(*(attempt() for _ in range(50)))
    assert calls == 1
    assert outcomes.count("ran") == 1
    assert outcomes.count("in_flight") == 49
    assert await run_once(app, db, "k-par", {"a": 1}, action) == (201, {"n": 1}, True)

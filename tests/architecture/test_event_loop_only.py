"""Every endpoint and every request dependency is a coroutine (or an async generator).

FastAPI runs a plain ``def`` endpoint or dependency in a worker thread: a thread hop per call,
per request, for what is usually a few attribute reads. Campus does its blocking work (password
hashing, sandboxed runs, file writes) explicitly off the loop, so nothing on the request path
needs the thread pool.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute


def api_routes(routes: Iterable[Any]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):  # an included router
            yield from api_routes(route.original_router.routes)
        elif hasattr(route, "routes"):
            yield from api_routes(route.routes)


def _runs_on_the_loop(call: Callable[..., Any]) -> bool:
    return (
        inspect.iscoroutinefunction(call)
        or inspect.isasyncgenfunction(call)
        or inspect.iscoroutinefunction(getattr(call, "__call__", None))  # noqa: B004
        or inspect.isasyncgenfunction(getattr(call, "__call__", None))  # noqa: B004
    )


def _threaded(dependant: Dependant) -> Iterator[str]:
    for sub in dependant.dependencies:
        if sub.call is not None and not _runs_on_the_loop(sub.call):
            yield f"{sub.call.__module__}.{getattr(sub.call, '__qualname__', sub.call)}"
        yield from _threaded(sub)


def test_no_endpoint_or_dependency_runs_in_the_thread_pool(app: FastAPI) -> None:
    routes = list(api_routes(app.router.routes))
    assert len(routes) > 100
    offenders = set()
    for route in routes:
        if not _runs_on_the_loop(route.endpoint):
            offenders.add(f"endpoint {route.path} {sorted(route.methods or ())}")
        offenders.update(f"dependency {name}" for name in _threaded(route.dependant))
    assert not offenders, sorted(offenders)


def test_the_check_sees_a_plain_function_dependency() -> None:
    from fastapi import APIRouter, Depends

    def plain() -> int:
        return 1

    router = APIRouter()

    @router.get("/x")
    async def endpoint(value: int = Depends(plain)) -> int:
        return value

    (route,) = api_routes(router.routes)
    assert list(_threaded(route.dependant)) == [f"{__name__}.{plain.__qualname__}"]

"""Client addresses through the real server: ``campus serve``'s uvicorn options believe
``X-Forwarded-For`` only from ``CAMPUS_TRUSTED_PROXIES`` (none by default), so a client cannot
pick the address its rate limits, sessions and security logs see."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import uvicorn
from fastapi import FastAPI

from campus.cli import server_options
from campus.config import Settings
from tests.kernel.conftest import AppFactory


@asynccontextmanager
async def served(application: FastAPI) -> AsyncIterator[str]:
    """``application`` behind a real uvicorn server on a free loopback port, configured as
    ``campus serve`` configures it; yields its base URL."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    options = server_options(application.state.settings, "127.0.0.1", port)
    config = uvicorn.Config(application, lifespan="off", access_log=False, **options)
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve(sockets=[listener]))
    try:
        while not server.started:
            await asyncio.sleep(0)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
        listener.close()


LIMITED = "/api/v1/kernel-test/limited"
WHOAMI = "/api/v1/kernel-test/whoami"


async def test_forwarded_headers_do_not_escape_the_ip_limit_by_default(
    make_app: AppFactory,
) -> None:
    async with (
        make_app() as application,
        served(application) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        spoofed = [{"X-Forwarded-For": f"198.51.100.{n}"} for n in range(3)]
        answers = [await client.get(LIMITED, headers=h) for h in spoofed]
        seen = (await client.get(WHOAMI, headers={"X-Forwarded-For": "1.2.3.4"})).json()
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert seen["client"] == "127.0.0.1"


async def test_a_trusted_proxy_is_believed_and_the_rightmost_untrusted_address_wins(
    make_app: AppFactory,
) -> None:
    async with (
        make_app(trusted_proxies=["127.0.0.1"]) as application,
        served(application) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        chain = {"X-Forwarded-For": "6.6.6.6, 203.0.113.9", "X-Forwarded-Proto": "https"}
        seen = (await client.get("/api/v1/kernel-test/whoami", headers=chain)).json()
        limited = [
            await client.get(
                "/api/v1/kernel-test/limited", headers={"X-Forwarded-For": f"198.51.100.{n}"}
            )
            for n in range(3)
        ]
    # The left part of the chain is whatever the client wrote; the proxy appended the peer.
    assert seen == {"client": "203.0.113.9", "scheme": "https"}
    assert [a.status_code for a in limited] == [200, 200, 200]


def test_trusted_proxies_are_read_from_a_comma_separated_variable(settings: Settings) -> None:
    parsed = Settings(trusted_proxies="10.0.0.1, 10.1.0.0/16", data_dir=settings.data_dir)
    assert parsed.trusted_proxies == ["10.0.0.1", "10.1.0.0/16"]
    options = server_options(parsed, "127.0.0.1", 8000)
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == "10.0.0.1,10.1.0.0/16"
    assert server_options(settings, "127.0.0.1", 8000)["proxy_headers"] is False

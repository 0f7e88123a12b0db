"""The pages account emails link to (issue 12): each link opens a page on the API's origin
whose plain HTML form posts the token in the body; the token never reaches the logs or a
referrer, and a refused submission leaves the link usable."""

from __future__ import annotations

import logging
import re

import pytest
from httpx import AsyncClient, Response

from campus.config import Settings
from campus.kernel.jobs import Relay
from tests.fixtures.identity import IdentityFactory, email_text, latest_email, token_in

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def _link(message: object, path: str, settings: Settings) -> str:
    found = re.search(rf"(\S+/{path}\?token=\S+)", email_text(message))  # type: ignore[arg-type]
    assert found
    url = found.group(1)
    assert url.startswith(settings.base_url.rstrip("/") + f"/{path}?token=")
    return url.removeprefix(settings.base_url.rstrip("/"))


def _server_logs(caplog: pytest.LogCaptureFixture) -> str:
    """What the app logged (the test client's own httpx lines name the URL it fetched)."""
    return "\n".join(str(r.__dict__) for r in caplog.records if not r.name.startswith("httpx"))


def _safe_page(response: Response) -> None:
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"
    csp = response.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "form-action 'self'" in csp
    assert "<script" not in response.text


async def test_the_verification_link_opens_a_form_that_verifies(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = await identity.user(verified=False)
    assert (
        await client.post("/api/v1/auth/email/resend", json={"email": user.email})
    ).status_code == 202
    message = await latest_email(relay, settings, user.email)
    token = token_in(message, "verify-email")
    caplog.set_level(logging.DEBUG)
    page = await client.get(_link(message, "verify-email", settings))
    assert page.status_code == 200
    _safe_page(page)
    assert 'method="post" action="/verify-email"' in page.text
    done = await client.post("/verify-email", data={"token": token}, headers=FORM)
    assert done.status_code == 200, done.text
    _safe_page(done)
    assert "verified" in done.text
    again = await client.post("/verify-email", data={"token": token}, headers=FORM)
    assert again.status_code == 400  # single use; the page offers a new link
    assert 'action="/verify-email/resend"' in again.text
    assert token not in _server_logs(caplog)  # JWT-12: never in the logs
    me = await identity.start_session(user)
    assert (await client.get("/api/v1/users/me", headers=me.headers)).json()["emailVerified"]


async def test_a_new_verification_link_can_be_asked_for_from_the_page(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.user(verified=False)
    page = await client.get("/verify-email")
    assert 'action="/verify-email/resend"' in page.text
    sent = await client.post("/verify-email/resend", data={"email": user.email}, headers=FORM)
    assert sent.status_code == 202
    _safe_page(sent)
    assert token_in(await latest_email(relay, settings, user.email), "verify-email")


async def test_the_reset_link_opens_a_form_that_sets_the_password(
    client: AsyncClient,
    identity: IdentityFactory,
    relay: Relay,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = await identity.user()
    await client.post("/api/v1/auth/password/forgot", json={"email": user.email})
    message = await latest_email(relay, settings, user.email)
    token = token_in(message, "reset-password")
    caplog.set_level(logging.DEBUG)
    page = await client.get(_link(message, "reset-password", settings))
    assert page.status_code == 200
    _safe_page(page)
    assert 'name="newPassword"' in page.text
    weak = await client.post(
        "/reset-password", data={"token": token, "newPassword": "123456789012"}, headers=FORM
    )
    assert weak.status_code == 422
    assert "sequence" in weak.text
    new = "saffron-glacier-wren-63"
    done = await client.post(
        "/reset-password", data={"token": token, "newPassword": new}, headers=FORM
    )
    assert done.status_code == 200, done.text
    login = await client.post("/api/v1/auth/login", json={"email": user.email, "password": new})
    assert login.status_code == 200
    assert token not in _server_logs(caplog)
    assert new not in _server_logs(caplog)


async def test_the_email_change_link_opens_a_form_that_confirms(
    client: AsyncClient, identity: IdentityFactory, relay: Relay, settings: Settings
) -> None:
    user = await identity.signed_in()
    new_email = "moved-here@example.com"
    response = await client.post(
        "/api/v1/users/me/email",
        json={"currentPassword": user.password, "newEmail": new_email},
        headers=user.headers,
    )
    assert response.status_code == 202, response.text
    message = await latest_email(relay, settings, new_email)
    token = token_in(message, "confirm-email")
    page = await client.get(_link(message, "confirm-email", settings))
    assert page.status_code == 200
    _safe_page(page)
    done = await client.post("/confirm-email", data={"token": token}, headers=FORM)
    assert done.status_code == 200, done.text
    me = await client.get("/api/v1/users/me", headers=user.headers)
    assert me.json()["email"] == new_email


async def test_the_pages_escape_what_they_show(client: AsyncClient) -> None:
    page = await client.get("/reset-password", params={"token": '"><script>alert(1)</script>'})
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert "&lt;script&gt;" in page.text

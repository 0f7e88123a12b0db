"""How every route treats request bodies and paths, whatever its context (``CampusRoute``):

* a body sent to a route that declares none is a 422 ``body_not_allowed`` (``{}`` and an empty
  body are tolerated), never silently ignored;
* an anonymous call to a signed-in route gets 401 before its body is parsed, so a malformed
  body is not a 400 there;
* a method that exists on the path only for other values (``PATCH /courses/{slug}`` where
  only ``GET`` takes a slug) is a 405 with ``Allow``, while a malformed id stays a 422."""

from __future__ import annotations

import uuid

from httpx import AsyncClient

from tests.fixtures.identity import IdentityFactory, identity

__all__ = ["identity"]

API = "/api/v1"
JSON = {"content-type": "application/json"}


async def test_a_body_sent_to_a_route_without_one_is_refused(client: AsyncClient) -> None:
    response = await client.request("GET", f"{API}/courses", content=b'{"x": 1}', headers=JSON)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error["details"]["fields"] == [
        {
            "field": "body",
            "message": "This operation takes no request body.",
            "code": "body_not_allowed",
        }
    ]


async def test_an_empty_body_or_empty_object_is_tolerated(client: AsyncClient) -> None:
    for content in (b"", b"{}", b" {} "):
        response = await client.request("GET", f"{API}/courses", content=content, headers=JSON)
        assert response.status_code == 200, content


async def test_anonymous_malformed_body_is_401_not_400(client: AsyncClient) -> None:
    response = await client.post(f"{API}/courses", content=b"{not json", headers=JSON)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"


async def test_signed_in_malformed_body_is_still_400(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    headers = {**user.headers, **JSON}
    response = await client.post(f"{API}/courses", content=b"{not json", headers=headers)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_json"


async def test_patch_to_a_slug_url_is_405_with_allow(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    for method, body in (("PATCH", {"title": "x"}), ("DELETE", None)):
        response = await client.request(
            method, f"{API}/courses/intro-to-python", json=body, headers=user.headers
        )
        assert response.status_code == 405, (method, response.text)
        assert response.headers["allow"] == "GET"
        assert response.json()["error"]["code"] == "method_not_allowed"


async def test_a_malformed_id_where_no_route_takes_it_is_still_422(
    client: AsyncClient, identity: IdentityFactory
) -> None:
    user = await identity.signed_in()
    response = await client.patch(
        f"{API}/quizzes/not-an-id", json={"title": "x"}, headers=user.headers
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["fields"][0]["field"] == "path.quiz_id"
    response = await client.get(f"{API}/quizzes/{uuid.uuid4()}", headers=user.headers)
    assert response.status_code == 404

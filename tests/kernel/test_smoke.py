from httpx import AsyncClient


async def test_healthz_answers_ok(client: AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-request-id"]


async def test_readyz_reports_current_migrations(client: AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200, response.text
    assert response.json()["migrations"] == "current"


async def test_unknown_route_gets_the_error_envelope(client: AsyncClient) -> None:
    response = await client.get("/nope", headers={"X-Request-ID": "abc-123"})
    assert response.status_code == 404
    body = response.json()
    assert body == {
        "success": False,
        "error": {
            "code": "not_found",
            "message": "The resource was not found.",
            "details": {},
            "traceId": "abc-123",
        },
    }

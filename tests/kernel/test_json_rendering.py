"""JSON bodies rendered by orjson (issue 19) are the bytes Starlette's ``json`` rendering gave:
compact separators, UTF-8 text unescaped; what orjson cannot encode still goes through ``json``.
The one spelling that differs is a float's negative exponent (``1e-7`` for ``1e-07``): the same
number to every JSON parser."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.responses import JSONResponse
from httpx import AsyncClient

from campus.kernel.http import CampusJSONResponse

SAMPLES: list[Any] = [
    {"error": {"code": "not_found", "message": "Élève introuvable — 学生", "details": None}},
    {"items": [1, 2.5, -0.0, 1e16, 123456789.125, 0.1 + 0.2, True, False, None], "total": 0},
    {"nested": {"a": [{"b": 'line\nbreak "quoted" \\ back\u2028slash'}]}, "emoji": "🎓"},
    {1: "an integer key", "k": {2: []}},
    [],
]


@pytest.mark.parametrize("content", SAMPLES)
def test_orjson_rendering_gives_the_bytes_json_gave(content: Any) -> None:
    assert CampusJSONResponse(content).body == JSONResponse(content).body


def test_a_small_float_is_the_same_number_with_a_shorter_exponent() -> None:
    content = {"value": 1e-7}
    assert CampusJSONResponse(content).body == b'{"value":1e-7}'
    assert json.loads(bytes(CampusJSONResponse(content).body)) == json.loads(
        bytes(JSONResponse(content).body)
    )


def test_content_orjson_refuses_is_rendered_by_json() -> None:
    big = {"value": 2**70}
    assert (
        CampusJSONResponse(big).body
        == JSONResponse(big).body
        == b'{"value":1180591620717411303424}'
    )


async def test_error_envelopes_are_compact_utf8_json(client: AsyncClient) -> None:
    response = await client.get("/no/such/päth")
    assert response.status_code == 404
    compact = json.dumps(response.json(), ensure_ascii=False, separators=(",", ":")).encode()
    assert response.content == compact

"""Text in requests: a NUL character anywhere in a request model is a 422 on its field (the
fuzz found a quiz title with one answered 500 on PostgreSQL, which cannot store it)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from campus.kernel.schemas import InputModel


class _Inner(InputModel):
    note: str


class _Body(InputModel):
    title: str = "ok"
    tags: list[str] = []
    labels: dict[str, str] = {}
    inner: _Inner | None = None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "quiz\x00"}, ("title",)),
        ({"tags": ["fine", "bad\x00"]}, ("tags",)),
        ({"labels": {"k\x00": "v"}}, ("labels",)),
        ({"labels": {"k": "\x00"}}, ("labels",)),
        ({"inner": {"note": "a\x00b"}}, ("inner", "note")),
    ],
)
def test_a_nul_character_anywhere_is_refused_on_its_field(
    data: dict[str, object], field: tuple[str, ...]
) -> None:
    with pytest.raises(ValidationError) as caught:
        _Body.model_validate(data)
    (error,) = caught.value.errors()
    assert error["type"] == "nul_character"
    assert error["loc"] == field


def test_text_without_nul_characters_passes_unchanged() -> None:
    body = _Body.model_validate({"title": "Ünïcode ✓ \\x00 spelled out", "tags": ["a"]})
    assert body.title == "Ünïcode ✓ \\x00 spelled out"

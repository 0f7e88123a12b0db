"""The OpenAPI document and request validation agree, field by field.

Every request body model in the document (an ``InputModel`` subclass, by its unique class name)
is walked: boundary values are generated from each property's JSON schema (``minLength``,
``maxLength``, ``minimum``, ``maximum``, ``enum``, nullability, ``date-time``) and validated
against the model; a value the document allows must raise no error on that field, a value it
forbids must. Moments must be aware (a naive or date-only value is refused). Every operation with
a JSON body documents 400 (``malformed_json``), and ``limit`` is bounded as the server bounds it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from campus.kernel.errors import ValidationFailed
from campus.kernel.pagination import parse_sort, sort_pattern
from campus.kernel.schemas import InputModel

_SKIP_STRING_ACCEPT_FORMATS = {"email", "uri", "uuid", "date", "date-time", "password"}


def _models() -> dict[str, type[InputModel]]:
    found: dict[str, type[InputModel]] = {}
    stack = list(InputModel.__subclasses__())
    while stack:
        model = stack.pop()
        # Test modules define input models too (some with the same names): only Campus's count.
        if model.__module__.startswith("campus."):
            found[model.__name__] = model
        stack.extend(model.__subclasses__())
    return found


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return dict(components[ref.rsplit("/", 1)[-1]])
    return schema


def _body_models(document: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for item in document["paths"].values():
        for operation in item.values():
            content = operation.get("requestBody", {}).get("content", {})
            schema = content.get("application/json", {}).get("schema", {})
            ref = schema.get("$ref")
            if isinstance(ref, str):
                names.add(ref.rsplit("/", 1)[-1])
    # Nested input models (``settings``, ``profile``, rubric levels...) are reached too.
    components = document["components"]["schemas"]
    pending = list(names)
    while pending:
        schema = components.get(pending.pop(), {})
        for ref in _refs(schema):
            if ref not in names:
                names.add(ref)
                pending.append(ref)
    return names


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str):
            yield ref.rsplit("/", 1)[-1]
        for value in schema.values():
            yield from _refs(value)
    elif isinstance(schema, list):
        for value in schema:
            yield from _refs(value)


def _variants(
    prop: dict[str, Any], components: dict[str, Any]
) -> tuple[list[dict[str, Any]], bool]:
    """The non-null alternatives of a property, and whether null is allowed."""
    options = prop.get("anyOf") or prop.get("oneOf") or [prop]
    nullable = any(o.get("type") == "null" for o in options)
    return [_resolve(o, components) for o in options if o.get("type") != "null"], nullable


def _cases(prop: dict[str, Any], components: dict[str, Any]) -> Iterator[tuple[Any, bool, str]]:
    """(value, documented as valid, why) boundary cases for one property."""
    variants, nullable = _variants(prop, components)
    if nullable:
        yield None, True, "null is documented"
    if len(variants) != 1:
        return
    schema = variants[0]
    kind = schema.get("type")
    if "enum" in schema:
        for value in schema["enum"]:
            yield value, True, "enum value"
        if kind == "string":
            yield "zz-not-listed", False, "not in enum"
        return
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            yield "2027-01-02T00:00:00", False, "naive date-time"
            yield "2027-01-02", False, "date-only date-time"
            yield "2027-01-02T00:00:00Z", True, "aware date-time"
            return
        low, high = schema.get("minLength", 0), schema.get("maxLength")
        if low > 0:
            yield "a" * (low - 1), False, f"shorter than minLength {low}"
        if high is not None:
            yield "a" * (high + 1), False, f"longer than maxLength {high}"
        if "pattern" not in schema and fmt not in _SKIP_STRING_ACCEPT_FORMATS:
            yield "a" * max(low, 1), True, "minLength letters"
            if high is not None and high <= 5000:
                yield "a" * high, True, "maxLength letters"
    elif kind == "integer":
        if "minimum" in schema:
            yield int(schema["minimum"]), True, "minimum"
            yield int(schema["minimum"]) - 1, False, "below minimum"
        if "maximum" in schema:
            yield int(schema["maximum"]), True, "maximum"
            yield int(schema["maximum"]) + 1, False, "above maximum"


def _field_errors(model: type[InputModel], name: str, value: Any) -> list[ErrorDetails]:
    try:
        model.model_validate({name: value})
    except ValidationError as exc:
        return [e for e in exc.errors() if e["loc"][:1] == (name,)]
    return []


def _disagreements(document: dict[str, Any]) -> dict[str, list[str]]:
    components = document["components"]["schemas"]
    models = _models()
    found: dict[str, list[str]] = {}
    for schema_name in sorted(_body_models(document)):
        model = models.get(schema_name)
        if model is None:
            continue
        schema = components[schema_name]
        for name, prop in schema.get("properties", {}).items():
            for value, valid, why in _cases(prop, components):
                errors = _field_errors(model, name, value)
                if valid and errors:
                    found.setdefault(f"{schema_name}.{name}", []).append(
                        f"{why} ({str(value)[:20]!r}) refused: {errors[0]['msg'][:80]}"
                    )
                elif not valid and not errors:
                    found.setdefault(f"{schema_name}.{name}", []).append(
                        f"{why} ({str(value)[:20]!r}) accepted"
                    )
    return found


@pytest.fixture
def document(app: FastAPI) -> dict[str, Any]:
    return app.openapi()


def test_request_models_validate_what_the_document_says(document: dict[str, Any]) -> None:
    found = _disagreements(document)
    assert not found, "\n".join(f"{k}: {'; '.join(v)}" for k, v in found.items())


def test_every_moment_in_a_request_is_aware(document: dict[str, Any]) -> None:
    """Every date-time a client can send (body fields and query parameters) refuses a naive and
    a date-only value."""
    components = document["components"]["schemas"]
    models = _models()
    checked = []
    for schema_name in _body_models(document):
        for name, prop in components[schema_name].get("properties", {}).items():
            variants, _ = _variants(prop, components)
            if any(v.get("format") == "date-time" for v in variants):
                model = models[schema_name]
                for value in ("2027-01-02T00:00:00", "2027-01-02"):
                    assert _field_errors(model, name, value), (schema_name, name, value)
                checked.append(f"{schema_name}.{name}")
    assert {"QuizCreate.dueAt", "QuizUpdate.availableUntil", "GrantRequest.expiresAt"} <= set(
        checked
    )
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for param in operation.get("parameters", []):
                variants, _ = _variants(param.get("schema", {}), components)
                assert all(v.get("format") != "date-time" for v in variants), (
                    f"{method} {path} ?{param['name']}: use kernel.schemas.Instant and extend "
                    "this test to send it naive"
                )


def test_every_json_body_documents_malformed_json(document: dict[str, Any]) -> None:
    missing = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
        and "400" not in operation.get("responses", {})
    ]
    assert not missing


def test_limit_is_bounded_as_the_server_bounds_it(document: dict[str, Any]) -> None:
    unbounded = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for param in operation.get("parameters", [])
        if param["name"] == "limit" and param["schema"].get("maximum") != 100
    ]
    assert not unbounded


def test_every_sort_parameter_documents_its_whitelist(document: dict[str, Any]) -> None:
    undocumented = [
        f"{method.upper()} {path}"
        for path, item in document["paths"].items()
        for method, operation in item.items()
        for parameter in operation.get("parameters", [])
        if parameter["name"] == "sort" and "pattern" not in parameter.get("schema", {})
    ]
    assert undocumented == []


@hypothesis_settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.sampled_from(["title", "-title", "+date", "date", "-rank", "bogus", "", " title "]),
        min_size=0,
        max_size=5,
    )
)
def test_the_documented_sort_pattern_is_what_parse_sort_accepts(parts: list[str]) -> None:
    allowed = {"title": 1, "date": 2, "rank": 3}
    value = ",".join(parts)
    try:
        parse_sort(value, allowed, "title")
        accepted = True
    except ValidationFailed:
        accepted = False
    if value:  # an empty value means the default
        assert accepted == bool(re.fullmatch(sort_pattern(allowed), value)), value

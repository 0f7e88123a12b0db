"""The OpenAPI document generated clients are built from: clean unique names, and every list
answers a page, never a bare array."""

from __future__ import annotations

from collections import Counter
from typing import Any

from fastapi import FastAPI


def _spec(app: FastAPI) -> dict[str, Any]:
    spec: dict[str, Any] = app.openapi()
    return spec


def test_schema_names_carry_no_module_paths(app: FastAPI) -> None:
    names = list(_spec(app)["components"]["schemas"])
    assert [name for name in names if "__" in name or name.startswith("campus")] == []


def test_operation_ids_are_unique_and_short(app: FastAPI) -> None:
    ids = Counter(
        operation["operationId"]
        for item in _spec(app)["paths"].values()
        for operation in item.values()
    )
    assert [name for name, count in ids.items() if count > 1] == []
    assert [name for name in ids if "_" in name or len(name) > 60] == []


def test_no_list_answers_a_bare_array(app: FastAPI) -> None:
    bare = []
    for path, item in _spec(app)["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                schema = response.get("content", {}).get("application/json", {}).get("schema", {})
                if status.startswith("2") and schema.get("type") == "array":
                    bare.append(f"{method.upper()} {path}")
    assert bare == [], f"lists must answer the pagination envelope: {bare}"

"""The API documents one error shape: every error response in the OpenAPI document, 422s
included, is the kernel's ``ErrorEnvelope``, which is what the error handlers send."""

from __future__ import annotations

from fastapi import FastAPI


def test_every_documented_error_response_is_the_one_kernel_envelope(app: FastAPI) -> None:
    spec = app.openapi()
    envelopes = [name for name in spec["components"]["schemas"] if "ErrorEnvelope" in name]
    assert envelopes == ["ErrorEnvelope"]
    documented = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation.get("responses", {}).items():
                if status.isdigit() and int(status) >= 400:
                    schema = response["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/ErrorEnvelope"}, (
                        path,
                        method,
                        status,
                    )
                    documented += 1
    assert documented > 300

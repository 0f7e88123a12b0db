"""FastAPI's own OpenTelemetry support is off unless the environment sets OpenTelemetry up
(issue 19: its per-request check cost ~5 % of a ``/healthz`` request, and Campus configures no
provider)."""

from __future__ import annotations

import os

import pytest
from fastapi import FastAPI

from campus.main import fastapi_telemetry


def test_fastapi_telemetry_is_off_without_opentelemetry_in_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in [n for n in os.environ if n.startswith(("OTEL_", "FASTAPI_OTEL_"))]:
        monkeypatch.delenv(name)
    config = fastapi_telemetry()
    assert config == {"tracing": False, "metrics": False, "logs": False, "operation_spans": False}


@pytest.mark.parametrize("variable", ["OTEL_SERVICE_NAME", "FASTAPI_OTEL_AUTO_CONFIGURE"])
def test_fastapi_telemetry_keeps_its_defaults_when_opentelemetry_is_configured(
    monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "campus")
    assert fastapi_telemetry() is None


def test_the_app_is_built_with_that_choice(app: FastAPI) -> None:
    assert app._telemetry["tracing"] is False  # FastAPI keeps its resolved configuration here

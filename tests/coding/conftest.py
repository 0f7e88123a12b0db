"""Coding test fixtures: the coding factory, the sandbox fixtures (tests/fixtures/sandbox.py)
and per-test settings."""

from __future__ import annotations

import pytest

from campus.config import Settings
from tests.fixtures.assessment import assessment
from tests.fixtures.catalog import catalog
from tests.fixtures.coding import coding
from tests.fixtures.identity import identity
from tests.fixtures.sandbox import (
    bwrap_sandbox,
    canary,
    contained,
    layers,
    namespace_sandbox,
    plain_sandbox,
    sandbox,
    weak_sandbox,
    workspace_root,
)

__all__ = [
    "assessment",
    "bwrap_sandbox",
    "canary",
    "catalog",
    "coding",
    "contained",
    "identity",
    "layers",
    "namespace_sandbox",
    "plain_sandbox",
    "sandbox",
    "weak_sandbox",
    "workspace_root",
]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "coding_settings(**fields): override Settings fields for the app of a test"
    )


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The default settings (so the session's shared app serves the test), unless the test
    asks for others with ``@pytest.mark.coding_settings(...)`` (then it gets its own app)."""
    marker = request.node.get_closest_marker("coding_settings")
    if marker is None:
        return settings
    return settings.replace(**marker.kwargs)

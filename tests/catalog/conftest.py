"""Catalog test fixtures (factories live in tests/fixtures/catalog.py)."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from httpx import AsyncClient

from campus.catalog.httpcache import bump_generation
from tests.fixtures.catalog import catalog
from tests.fixtures.identity import identity

__all__ = ["catalog", "identity"]


@pytest.fixture
async def client(app: FastAPI, client: AsyncClient) -> AsyncClient:
    """The root ``client``, on a new catalog generation: Redis outlives the per-test database,
    so no page cached by an earlier test (same URL, other data) can answer this one."""
    await bump_generation(app.state.cache)
    return client

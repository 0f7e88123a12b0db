"""Notifications test fixtures (factories live in tests/fixtures/)."""

from __future__ import annotations

from tests.fixtures.catalog import catalog
from tests.fixtures.identity import identity
from tests.fixtures.learning import learning

__all__ = ["catalog", "identity", "learning"]

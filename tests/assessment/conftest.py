"""Assessment test fixtures (factories live in tests/fixtures/assessment.py)."""

from __future__ import annotations

from tests.fixtures.assessment import assessment
from tests.fixtures.catalog import catalog
from tests.fixtures.identity import identity

__all__ = ["assessment", "catalog", "identity"]

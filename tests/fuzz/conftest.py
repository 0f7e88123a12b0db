"""Fuzz fixtures: the factories the fuzz builds its world with (tests/fixtures/)."""

from __future__ import annotations

from tests.fixtures.assessment import assessment
from tests.fixtures.catalog import catalog
from tests.fixtures.coding import coding
from tests.fixtures.identity import identity
from tests.fixtures.learning import learning

__all__ = ["assessment", "catalog", "coding", "identity", "learning"]

"""Identity test fixtures (factories live in tests/fixtures/identity.py)."""

from tests.fixtures.identity import identity

__all__ = ["identity"]

"""Catalog job and event handlers.

The catalog reacts to nothing yet: enrollment counts and ratings arrive through ``catalog.api``
calls made by their owners (learning, community), in their own transactions.
"""

from __future__ import annotations

from campus.config import Settings
from campus.kernel.outbox import HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    """Nothing to register yet; kept so ``campus.main`` wires every context the same way."""
    return None

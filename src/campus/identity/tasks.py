"""Identity job and event handlers.

Identity subscribes to no events and runs no jobs of its own: account emails go through the
kernel's ``kernel.send_email`` job, and identity's events (``campus.identity.events``) are for
other contexts to subscribe to.
"""

from __future__ import annotations

from campus.config import Settings
from campus.kernel.outbox import HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    """Nothing to register yet (kept so main.py wires every context the same way)."""
    del registry, settings

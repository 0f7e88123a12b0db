"""Identity job and event handlers."""

from campus.config import Settings
from campus.kernel.outbox import HandlerRegistry


def register(registry: HandlerRegistry, settings: Settings) -> None:
    return None

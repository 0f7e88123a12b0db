"""The curriculum cache's reset under its former name, for the shared test factories that still
import it from here; the curricula and their rules live in ``service.curricula``."""

from __future__ import annotations

from campus.learning.service.curricula import clear_cache

__all__ = ["clear_cache"]

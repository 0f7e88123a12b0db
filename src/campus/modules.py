"""The bounded contexts Campus is made of, in their declared order.

A context may use the doorways (``api.py``) of the contexts before it, and ``data.py`` and
``events.py`` of any context; the generated import contracts (tests/architecture) enforce
that order, so a cycle between contexts fails. Adding a context means writing its package
from the template (docs/CONVENTIONS.md) and adding its name here: nothing else central.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Final

from campus.kernel.module import ContextModule

#: The contexts that exist, lowest first.
CONTEXTS: Final[tuple[str, ...]] = (
    "identity",
    "catalog",
    "learning",
    "assessment",
    "coding",
    "commerce",
    "billing",
    "credentials",
    "community",
    "booking",
    "notifications",
)

#: Where each planned context will sit in the order (ARCHITECTURE.md §2), lowest first. A new
#: context moves from here into ``CONTEXTS`` at its place.
PLANNED: Final[tuple[str, ...]] = (
    "platform",  # after identity: settings, feature flags, audit log
    "media",  # after catalog: assets, uploads, video
    "cms",
    "analytics",
    "search",
    "assistant",
)


@cache
def load_modules() -> tuple[ContextModule, ...]:
    """Every context's ``ContextModule`` (``campus.<name>.module.MODULE``), in order."""
    modules = []
    for name in CONTEXTS:
        module: ContextModule = importlib.import_module(f"campus.{name}.module").MODULE
        if module.name != name.rpartition(".")[2]:
            raise ValueError(f"campus.{name}.module declares the module {module.name!r}")
        modules.append(module)
    return tuple(modules)

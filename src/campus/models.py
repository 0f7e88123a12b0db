"""Every ORM model, imported so Alembic sees one complete metadata: the kernel's tables and
each context module's ``models.py``."""

from __future__ import annotations

import importlib

from campus.kernel import idempotency as kernel_idempotency
from campus.kernel import outbox as kernel_outbox
from campus.kernel import schedule as kernel_schedule
from campus.kernel.db import Base
from campus.modules import CONTEXTS

for _context in CONTEXTS:
    importlib.import_module(f"campus.{_context}.models")

metadata = Base.metadata

__all__ = ["kernel_idempotency", "kernel_outbox", "kernel_schedule", "metadata"]

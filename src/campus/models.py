"""Every context's ORM models, imported so Alembic sees one complete metadata."""

from campus.identity import models as identity_models
from campus.kernel import outbox as kernel_outbox
from campus.kernel.db import Base

metadata = Base.metadata

__all__ = ["identity_models", "kernel_outbox", "metadata"]

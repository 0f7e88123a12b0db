"""Every context's ORM models, imported so Alembic sees one complete metadata."""

from campus.assessment import models as assessment_models
from campus.assessment.coding import models as coding_models
from campus.catalog import models as catalog_models
from campus.identity import models as identity_models
from campus.kernel import outbox as kernel_outbox
from campus.kernel import schedule as kernel_schedule
from campus.kernel.db import Base
from campus.learning import models as learning_models

metadata = Base.metadata

__all__ = [
    "assessment_models",
    "catalog_models",
    "coding_models",
    "identity_models",
    "kernel_outbox",
    "kernel_schedule",
    "learning_models",
    "metadata",
]

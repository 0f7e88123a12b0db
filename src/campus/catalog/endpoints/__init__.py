"""The catalog's HTTP routes (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.catalog.endpoints import authoring, public, structure, taxonomy
from campus.kernel.http import api_router

router = api_router()
# Literal paths before parameterised ones of the same shape.
router.include_router(authoring.router)
router.include_router(structure.router)
router.include_router(taxonomy.router)
router.include_router(taxonomy.tag_router)
router.include_router(public.router)

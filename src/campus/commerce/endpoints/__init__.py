"""The commerce context's HTTP routes (mounted under ``/api/v1`` by ``campus.main``)."""

from __future__ import annotations

from campus.kernel.http import api_router

router = api_router()

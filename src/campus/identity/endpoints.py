"""Identity HTTP endpoints."""

from campus.kernel.http import api_router

router = api_router()

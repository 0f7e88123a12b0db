"""HTTP route for operators: the code runner and its sandbox layers."""

from __future__ import annotations

from campus.coding.endpoints.dependencies import SANDBOX_TAG, Engine
from campus.coding.endpoints.errors import errors
from campus.coding.schemas.sandbox import SandboxStatusOut
from campus.coding.service import runner_status
from campus.kernel.auth import CurrentPrincipal
from campus.kernel.http import api_router

router = api_router()


@router.get(
    "/admin/sandbox",
    tags=[SANDBOX_TAG],
    summary="The code runner and the sandbox layers active on this host (sandbox:admin)",
    response_model=SandboxStatusOut,
    responses=errors(401, 403, 422),
)
async def sandbox_status(principal: CurrentPrincipal, engine: Engine) -> SandboxStatusOut:
    return SandboxStatusOut.of(await runner_status.sandbox_status(principal, engine))

"""The code runner and the sandbox layers active on this host, for operators."""

from __future__ import annotations

from campus.coding.data import SANDBOX_ADMIN
from campus.coding.runners.engine import GradingEngine, banner
from campus.coding.service.records import RunnerStatus
from campus.kernel.auth import Principal


async def sandbox_status(principal: Principal, engine: GradingEngine) -> RunnerStatus:
    principal.require(SANDBOX_ADMIN)
    layers = await engine.start()
    pool = engine.status()
    judge0_host = None
    if engine.judge0_url:
        from httpx import URL

        judge0_host = URL(engine.judge0_url).host
    return RunnerStatus(
        runner=engine.kind,
        judge0_host=judge0_host,
        languages=tuple(engine.languages),
        analysis=engine.analysis,
        layers=layers,
        probed_at=engine.probed_at,
        uid_pool_size=pool["uid_pool_size"],
        uid_pool_in_use=pool["uid_pool_in_use"],
        banner=banner(layers) if engine.sandbox is not None else None,
    )

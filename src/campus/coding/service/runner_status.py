"""The code runner and the sandbox layers active on this host, for operators."""

from __future__ import annotations

from campus.coding.data import SANDBOX_ADMIN
from campus.coding.runners.engine import GradingEngine, banner
from campus.coding.schemas.sandbox import LayersOut, SandboxStatusOut
from campus.kernel.auth import Principal


async def sandbox_status(principal: Principal, engine: GradingEngine) -> SandboxStatusOut:
    principal.require(SANDBOX_ADMIN)
    layers = await engine.start()
    layers_out = None
    if layers is not None:
        layers_out = LayersOut(
            rlimits=layers.rlimits,
            uid_switch=layers.uid_switch,
            bubblewrap=layers.bubblewrap,
            pid_namespace=layers.pid_namespace,
            network_isolated=layers.network_isolated,
            subreaper=layers.subreaper,
            no_new_privs=layers.no_new_privs,
            seccomp=layers.seccomp,
            namespaces=layers.namespaces,
            mount_namespace=layers.mount_namespace,
            ipc_namespace=layers.ipc_namespace,
            uts_namespace=layers.uts_namespace,
            private_filesystem=layers.private_filesystem,
            isolation=layers.isolation,
            job_limits=layers.job_limits,
            weak=layers.weak,
            active=list(layers.active()),
            python=layers.python,
            python_version=layers.python_version,
            lint=layers.ruff,
            notes=list(layers.notes),
        )
    pool = engine.status()
    judge0_host = None
    if engine.judge0_url:
        from httpx import URL

        judge0_host = URL(engine.judge0_url).host
    return SandboxStatusOut(
        runner=engine.kind,
        judge0_host=judge0_host,
        languages=list(engine.languages),
        analysis=engine.analysis,
        layers=layers_out,
        probed_at=engine.probed_at,
        uid_pool_size=pool["uid_pool_size"],
        uid_pool_in_use=pool["uid_pool_in_use"],
        banner=banner(layers) if engine.sandbox is not None else None,
    )

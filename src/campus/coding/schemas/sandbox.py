"""Wire models of the code runner's status (operators)."""

from __future__ import annotations

from datetime import datetime

from campus.coding.service.records import RunnerStatus
from campus.kernel.schemas import ApiModel
from campus.sandbox import SandboxLayers


class LayersOut(ApiModel):
    rlimits: bool
    uid_switch: bool
    bubblewrap: bool
    pid_namespace: bool
    network_isolated: bool
    subreaper: bool
    no_new_privs: bool
    seccomp: bool
    namespaces: bool
    mount_namespace: bool
    ipc_namespace: bool
    uts_namespace: bool
    private_filesystem: bool
    #: "bubblewrap", "namespaces" (the launcher's own) or "none"
    isolation: str
    #: How memory, CPU and process limits hold for the whole job: "cgroup v2", "cgroup v1",
    #: "sampled" (the weaker bound of ADR 0024)
    job_limits: str
    #: The weaker sandbox was accepted explicitly (CAMPUS_SANDBOX_ALLOW_WEAK, development)
    weak: bool
    active: list[str]
    python: str | None
    python_version: str | None
    lint: str | None
    notes: list[str]

    @classmethod
    def of(cls, layers: SandboxLayers) -> LayersOut:
        return cls(
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


class SandboxStatusOut(ApiModel):
    runner: str
    judge0_host: str | None
    languages: list[str]
    analysis: bool
    layers: LayersOut | None
    probed_at: datetime | None
    uid_pool_size: int
    uid_pool_in_use: int
    #: Set when jobs are not isolated: grading refused, or the weak sandbox accepted
    banner: str | None = None

    @classmethod
    def of(cls, status: RunnerStatus) -> SandboxStatusOut:
        return cls(
            runner=status.runner,
            judge0_host=status.judge0_host,
            languages=list(status.languages),
            analysis=status.analysis,
            layers=LayersOut.of(status.layers) if status.layers is not None else None,
            probed_at=status.probed_at,
            uid_pool_size=status.uid_pool_size,
            uid_pool_in_use=status.uid_pool_in_use,
            banner=status.banner,
        )

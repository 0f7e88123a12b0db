"""Wire models of the code runner's status (operators)."""

from __future__ import annotations

from datetime import datetime

from campus.kernel.schemas import ApiModel


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

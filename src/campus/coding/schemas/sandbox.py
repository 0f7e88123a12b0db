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

"""Coding exercises' settings section: the code runner, its limits and the local sandbox."""

from __future__ import annotations

from pydantic import Field, SecretStr

from campus.kernel.module import SettingsSection


class CodingSettings(SettingsSection):
    """``code_runner``: "local" grades in the layered sandbox on this host, "judge0" sends
    tests to a Judge0-compatible server at ``judge0_url`` (polled every
    ``judge0_poll_seconds``). Analysis (metrics + ruff) runs in the local sandbox when
    ``code_analysis`` is on. Limits: submitted code size, submissions and "run" actions per
    learner per minute, the largest per-test time and memory an exercise may ask for. Local
    sandbox: bubblewrap (None = use it when it works), the dedicated uid range (used when
    running as root), job directory root ("" = the temp directory), parallel jobs (0 = one per
    uid, or one per CPU without root). ADR 0016-0018.

    Isolation (ADR 0024): every job runs in its own mount, PID, network, IPC and UTS
    namespaces - bubblewrap's, or the launcher's own as root. ``sandbox_bubblewrap=True``
    requires bubblewrap (start-up fails without it); where no namespaces can be made, grading
    is refused (submissions end ``ERROR``) and production does not start, unless
    ``sandbox_allow_weak`` (development only; refused in production) accepts the weaker
    sandbox, which ``GET /admin/sandbox`` and the logs then flag."""

    code_runner: str = Field(default="local", pattern="^(local|judge0)$")
    judge0_url: str = ""
    judge0_auth_token: SecretStr = SecretStr("")
    judge0_poll_seconds: float = Field(default=0.5, gt=0, le=10)
    judge0_timeout_seconds: float = Field(default=60.0, gt=0, le=600)
    code_analysis: bool = True
    code_max_bytes: int = Field(default=64 * 1024, ge=1024, le=256 * 1024)
    code_submissions_per_minute: int = Field(default=6, ge=1)
    code_runs_per_minute: int = Field(default=20, ge=1)
    code_max_time_limit_ms: int = Field(default=10_000, ge=100, le=60_000)
    code_max_memory_mb: int = Field(default=512, ge=32, le=4096)
    sandbox_bubblewrap: bool | None = None
    sandbox_first_uid: int = Field(default=61000, ge=1000)
    sandbox_uid_pool_size: int = Field(default=64, ge=1, le=4096)
    sandbox_workspace_root: str = ""
    sandbox_max_concurrency: int = Field(default=0, ge=0, le=512)
    sandbox_allow_weak: bool = False

    def check_production(self) -> None:
        if self.sandbox_allow_weak:
            raise ValueError(
                "CAMPUS_SANDBOX_ALLOW_WEAK is a development setting: production grades only in "
                "an isolated sandbox (install bubblewrap, or run the worker as root)"
            )

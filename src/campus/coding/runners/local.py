"""The local code runner: the layered sandbox of :mod:`campus.sandbox` on this host, configured
by ``CAMPUS_SANDBOX_*`` (ADR 0005, 0018). It also runs the code analysis whatever grades the
tests."""

from __future__ import annotations

import os

from campus.coding.settings import CodingSettings
from campus.sandbox import LocalSandboxRunner, UidPool


def local_sandbox(coding: CodingSettings) -> LocalSandboxRunner:
    """A sandbox runner for this host; as root it runs code under a pool of unused uids."""
    pool = None
    if os.geteuid() == 0:
        pool = UidPool(coding.sandbox_first_uid, coding.sandbox_uid_pool_size)
    return LocalSandboxRunner(
        uid_pool=pool,
        use_bubblewrap=coding.sandbox_bubblewrap,
        workspace_root=coding.sandbox_workspace_root or None,
        max_concurrency=coding.sandbox_max_concurrency or None,
        allow_weak=coding.sandbox_allow_weak,
    )

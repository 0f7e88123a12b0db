"""The start-up probe reports reality; the uid pool never hands one uid to two jobs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import textwrap
from pathlib import Path

import pytest

from campus.sandbox import (
    LocalSandboxRunner,
    RunStatus,
    SandboxLayers,
    SandboxUnavailable,
    TestCase,
    UidPool,
    probe_layers,
)
from campus.sandbox import probe as probe_module
from campus.sandbox.launcher import live_pids_of_uid
from tests.fixtures.sandbox import (
    CONFINED,
    HOSTILE,
    IS_ROOT,
    TEST_FIRST_UID,
    TEST_POOL_SIZE,
    Sandbox,
    requires_root,
)

REPORTER = textwrap.dedent(
    """
    import json, os, resource, socket
    names = ["RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE",
             "RLIMIT_CORE"]
    print(json.dumps({
        "uid": os.getuid(), "groups": os.getgroups(), "pid": os.getpid(),
        "ifaces": [n for _i, n in socket.if_nameindex()],
        "limits": {n: resource.getrlimit(getattr(resource, n))[0] for n in names},
        "env": sorted(os.environ), "cwd": os.getcwd(),
    }))
    """
)


async def observe(sandbox: Sandbox) -> dict[str, object]:
    report = await sandbox.runner.run(
        "python", REPORTER, [TestCase("observe", "stdio", "", "")], CONFINED
    )
    output = report.result("observe").output
    assert output is not None, report
    return json.loads(output)  # type: ignore[no-any-return]


def test_probe_reports_rlimits_and_the_uid_layer_as_they_are(layers: SandboxLayers) -> None:
    assert layers.rlimits is True
    assert layers.uid_switch is IS_ROOT
    assert layers.subreaper is True
    assert layers.no_new_privs is True
    assert layers.python is not None
    # bubblewrap, or (as root) the launcher's own namespaces: isolated either way
    assert layers.bubblewrap or layers.namespaces
    assert layers.pid_namespace
    assert layers.network_isolated
    assert layers.mount_namespace
    assert layers.ipc_namespace
    assert layers.uts_namespace
    assert layers.private_filesystem
    assert layers.isolated
    assert set(layers.active()) >= {"rlimits", "subreaper", "no_new_privs"}


async def test_reported_layers_match_what_a_submission_observes(sandbox: Sandbox) -> None:
    seen = await observe(sandbox)
    layers = sandbox.layers
    limits = seen["limits"]
    assert isinstance(limits, dict)
    assert limits["RLIMIT_CPU"] == HOSTILE.cpu_rlimit[0]
    assert limits["RLIMIT_AS"] == HOSTILE.memory_bytes
    assert limits["RLIMIT_FSIZE"] == HOSTILE.max_file_bytes
    assert limits["RLIMIT_NOFILE"] == HOSTILE.max_open_files
    assert limits["RLIMIT_CORE"] == 0
    minimal = ["HOME", "LANG", "PATH", "PYTHONDONTWRITEBYTECODE"]
    # bubblewrap's --chdir exports PWD (= /sandbox); nothing else is ever inherited
    assert seen["env"] == (sorted([*minimal, "PWD"]) if layers.bubblewrap else minimal)
    if layers.uid_switch:
        assert seen["uid"] in sandbox.uids
        assert seen["groups"] == []
        assert limits["RLIMIT_NPROC"] == HOSTILE.max_processes
    else:
        assert seen["uid"] == os.getuid()
    assert (seen["ifaces"] == ["lo"]) is layers.network_isolated
    assert (seen["pid"] == 2) is layers.pid_namespace  # bwrap's / the launcher's init is pid 1
    assert (seen["cwd"] == "/sandbox") is layers.isolated


def test_probe_logs_every_layer_on_the_campus_sandbox_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="campus.sandbox"):
        probe_layers(uid_pool=UidPool(TEST_FIRST_UID, 2) if IS_ROOT else None)
    summary = [
        r for r in caplog.records if r.name == "campus.sandbox" and r.levelno == logging.INFO
    ]
    assert summary
    assert "rlimits=True" in summary[-1].getMessage()
    assert "bubblewrap=" in summary[-1].getMessage()


def test_bubblewrap_reported_inactive_when_missing_or_broken(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    pool = UidPool(TEST_FIRST_UID, 2) if IS_ROOT else None
    monkeypatch.setattr(probe_module, "find_bwrap", lambda: None)
    missing = probe_layers(uid_pool=pool)
    assert not missing.bubblewrap
    assert missing.rlimits
    assert any("not installed" in note for note in missing.notes)
    # As root the launcher makes the namespaces itself: still isolated.
    assert missing.isolated is IS_ROOT
    assert missing.namespaces is IS_ROOT

    monkeypatch.setattr(probe_module, "find_bwrap", lambda: "/bin/false")
    with caplog.at_level(logging.WARNING, logger="campus.sandbox"):
        broken = probe_layers(uid_pool=pool)
    assert not broken.bubblewrap
    assert broken.rlimits
    assert any("does not work" in r.getMessage() for r in caplog.records)


def test_required_bubblewrap_that_is_missing_refuses(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = UidPool(TEST_FIRST_UID, 2) if IS_ROOT else None
    monkeypatch.setattr(probe_module, "find_bwrap", lambda: None)
    with pytest.raises(SandboxUnavailable, match="apt-get install bubblewrap"):
        probe_layers(uid_pool=pool, use_bubblewrap=True)


@pytest.mark.skipif(not IS_ROOT, reason="simulates a non-root worker; needs root to simulate")
def test_uid_layer_reported_inactive_when_not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    layers = probe_layers(use_bubblewrap=False)
    assert layers.uid_switch is False
    assert layers.rlimits is True
    assert any("not running as root" in note for note in layers.notes)
    # Without root and without bubblewrap there are no namespaces: not isolated.
    assert not layers.isolated


# ------------------------------------------------------------------------------ uid pool


async def test_concurrent_leases_never_share_a_uid(tmp_path: Path) -> None:
    pool = UidPool(62000, 8, lock_dir=str(tmp_path))
    leases = await asyncio.gather(*(pool.acquire() for _ in range(8)))
    assert len({lease.uid for lease in leases}) == 8
    assert pool.in_use() == 8
    assert pool.try_acquire() is None
    waiter = asyncio.ensure_future(pool.acquire())
    await asyncio.sleep(0)  # let it start waiting (a yield, not a timed wait)
    assert not waiter.done()
    leases[3].release()
    leases[3].release()  # idempotent
    again = await waiter
    assert again.uid == leases[3].uid
    for lease in [*leases, again]:
        lease.release()
    assert pool.in_use() == 0


async def test_two_pools_on_one_host_exclude_each_other(tmp_path: Path) -> None:
    """Two worker processes = two pools sharing the lock directory (flock per uid)."""
    first = UidPool(62100, 2, lock_dir=str(tmp_path))
    second = UidPool(62100, 2, lock_dir=str(tmp_path))
    held = [first.try_acquire(), first.try_acquire()]
    assert all(held)
    assert second.try_acquire() is None
    assert held[0] is not None
    held[0].release()
    taken = second.try_acquire()
    assert taken is not None
    assert taken.uid == held[0].uid
    taken.release()
    assert held[1] is not None
    held[1].release()


def test_pool_skips_uids_that_belong_to_accounts(tmp_path: Path) -> None:
    pool = UidPool(65530, 8, lock_dir=str(tmp_path))  # 65534 is "nobody"
    assert 65534 not in pool.uids
    assert len(pool.uids) == 7


def test_pool_refuses_an_unsafe_lock_directory(tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    with pytest.raises(PermissionError):
        UidPool(62200, 2, lock_dir=str(tmp_path))


@requires_root
async def test_concurrent_jobs_run_under_distinct_uids(
    workspace_root: Path, bwrap_sandbox: Sandbox
) -> None:
    pool = UidPool(TEST_FIRST_UID + TEST_POOL_SIZE, 2)  # beside the fixtures' range
    runner = LocalSandboxRunner(
        uid_pool=pool, workspace_root=str(workspace_root), languages=("python",)
    )
    source = "import os\nprint(os.getuid())\n"
    reports = await asyncio.gather(
        *(
            runner.run("python", source, [TestCase("u", "stdio", "", "?")], CONFINED)
            for _ in range(4)
        )
    )
    uids = {int((r.result("u").output or "0").strip()) for r in reports}
    assert uids <= set(pool.uids)
    assert all(r.status is RunStatus.FAILED and r.tests_executed == 1 for r in reports)
    assert pool.in_use() == 0


@requires_root
async def test_cancelled_job_keeps_its_uid_until_its_processes_are_dead(
    workspace_root: Path, bwrap_sandbox: Sandbox
) -> None:
    pool = UidPool(TEST_FIRST_UID + 60, 1)
    runner = LocalSandboxRunner(
        uid_pool=pool, workspace_root=str(workspace_root), languages=("python",)
    )
    await runner.start()
    source = "import time\ntime.sleep(60)\n"
    task = asyncio.ensure_future(
        runner.run("python", source, [TestCase(str(i), "stdio", "", "") for i in range(3)], HOSTILE)
    )
    while pool.in_use() == 0:
        await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    lease = await pool.acquire()  # granted only once the job's thread has cleaned up
    try:
        assert live_pids_of_uid(lease.uid) == []
        assert list(workspace_root.iterdir()) == []
    finally:
        lease.release()

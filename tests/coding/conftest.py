"""Fixtures for the sandbox tests: runners for each layer combination, host canaries, and
the containment checks every hostile test ends with."""

from __future__ import annotations

import hashlib
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from campus.config import Settings
from campus.sandbox import (
    LocalSandboxRunner,
    RunReport,
    SandboxLayers,
    SandboxLimits,
    UidPool,
    probe_layers,
)
from campus.sandbox.launcher import live_pids_of_uid
from campus.sandbox.limits import KiB, MiB
from tests.fixtures.coding import coding

__all__ = ["coding"]

IS_ROOT = os.geteuid() == 0
# A uid range of its own, so that these tests never collide with a real worker on the host.
TEST_FIRST_UID = 61100
TEST_POOL_SIZE = 8

# Small limits for hostile programs: the whole file must stay fast.
HOSTILE = SandboxLimits(
    cpu_seconds=1,
    wall_seconds=1.0,
    memory_bytes=128 * MiB,
    max_processes=16,
    max_file_bytes=64 * KiB,
    max_open_files=32,
    max_output_bytes=16 * KiB,
    max_workspace_bytes=4 * MiB,
)

# For programs that are expected to finish by themselves: a wall budget that is never hit,
# so a loaded CI machine cannot turn a verdict into a timeout (unused budget costs nothing).
CONFINED = replace(HOSTILE, wall_seconds=5.0)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "coding_settings(**fields): override Settings fields for the app of a test"
    )


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """The default settings (so the session's shared app serves the test), unless the test
    asks for others with ``@pytest.mark.coding_settings(...)`` (then it gets its own app)."""
    marker = request.node.get_closest_marker("coding_settings")
    if marker is None:
        return settings
    return settings.model_copy(update=dict(marker.kwargs))


requires_root = pytest.mark.skipif(
    not IS_ROOT,
    reason="LAYER MISSING: uid_switch - these tests need root to run jobs as dedicated uids",
)


@pytest.fixture(scope="session")
def layers() -> SandboxLayers:
    return probe_layers(uid_pool=UidPool(TEST_FIRST_UID, TEST_POOL_SIZE))


@pytest.fixture(scope="session")
def workspace_root() -> Iterator[Path]:
    root = Path(tempfile.mkdtemp(prefix="campus-sbx-tests-"))
    root.chmod(0o755)  # job uids must be able to traverse it
    yield root
    shutil.rmtree(root, ignore_errors=True)


@dataclass
class Sandbox:
    """A runner plus what the tests need to know about it."""

    name: str
    runner: LocalSandboxRunner
    layers: SandboxLayers
    pool: UidPool | None
    workspace_root: Path

    @property
    def uids(self) -> tuple[int, ...]:
        return self.pool.uids if self.pool else ()


async def _make(name: str, use_bubblewrap: bool, workspace_root: Path) -> Sandbox:
    pool = UidPool(TEST_FIRST_UID, TEST_POOL_SIZE) if IS_ROOT else None
    runner = LocalSandboxRunner(
        uid_pool=pool,
        use_bubblewrap=use_bubblewrap,
        workspace_root=str(workspace_root),
        languages=("python", "javascript") if use_bubblewrap else ("python",),
    )
    layers = await runner.start()
    return Sandbox(name, runner, layers, pool, workspace_root)


@pytest.fixture(scope="session")
async def bwrap_sandbox(layers: SandboxLayers, workspace_root: Path) -> Sandbox:
    if not layers.bubblewrap:
        pytest.skip(
            "LAYER MISSING: bubblewrap - `bwrap` is not installed or cannot create namespaces "
            f"here ({'; '.join(layers.notes)})"
        )
    return await _make("bubblewrap", True, workspace_root)


@pytest.fixture(scope="session")
async def plain_sandbox(workspace_root: Path) -> Sandbox:
    """rlimits + launcher (+ dedicated uid when root), bubblewrap disabled on purpose."""
    return await _make("rlimits+uid", False, workspace_root)


@pytest.fixture(params=["bubblewrap", "rlimits+uid"])
def sandbox(request: pytest.FixtureRequest) -> Sandbox:
    """Every hostile test runs against both layer stacks."""
    name = "bwrap_sandbox" if request.param == "bubblewrap" else "plain_sandbox"
    return request.getfixturevalue(name)  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------- host canaries


def _digest(root: Path) -> dict[str, str]:
    out = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        out[str(path.relative_to(root))] = hashlib.sha256(
            data + f"{info.st_mode}:{info.st_uid}:{info.st_size}".encode()
        ).hexdigest()
    return out


@dataclass
class Canary:
    """Files on the host, outside any job directory, that no submission may touch or read."""

    dir: Path
    public_file: Path  # world-readable, root-owned
    secret_file: Path  # mode 0600, root-owned
    secret: str  # in the secret file AND in the worker's environment
    marker: str  # content of the public file
    before: dict[str, str]
    passwd_before: str

    def assert_untouched(self) -> None:
        assert _digest(self.dir) == self.before, "a host canary file was modified or deleted"
        assert hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest() == self.passwd_before


@pytest.fixture
def canary(monkeypatch: pytest.MonkeyPatch) -> Iterator[Canary]:
    root = Path(tempfile.mkdtemp(prefix="campus-canary-"))
    root.chmod(0o755)
    secret = "CANARY-SECRET-" + secrets.token_hex(8)
    marker = "CANARY-PUBLIC-" + secrets.token_hex(8)
    public = root / "public.txt"
    public.write_text(marker + "\n")
    public.chmod(0o644)
    secret_file = root / "secret.txt"
    secret_file.write_text(secret + "\n")
    secret_file.chmod(0o600)
    monkeypatch.setenv("CAMPUS_SANDBOX_CANARY_SECRET", secret)
    passwd = hashlib.sha256(Path("/etc/passwd").read_bytes()).hexdigest()
    item = Canary(root, public, secret_file, secret, marker, _digest(root), passwd)
    yield item
    item.assert_untouched()
    shutil.rmtree(root)


# ---------------------------------------------------------------------------- containment


def live_sandbox_processes(sandbox: Sandbox) -> list[int]:
    """Live (non-zombie) processes of the sandbox's uids, plus our own leftover children.

    The runners' zygote launchers (``launcher.py --serve``) are long-lived by design and are
    the only children allowed to stay; everything below them (supervisors, programs) must be
    gone."""
    from campus.sandbox.execution import launch_server_pids
    from campus.sandbox.launcher import live_descendants

    found = [pid for uid in sandbox.uids for pid in live_pids_of_uid(uid)]
    zygotes = launch_server_pids()
    below = [pid for zygote in zygotes for pid in live_descendants(zygote)]
    return found + [p for p in live_descendants(os.getpid()) if p not in zygotes] + below


@pytest.fixture
def contained(canary: Canary) -> Callable[[Sandbox, RunReport], None]:
    """The checks that end every hostile test."""

    def check(sandbox: Sandbox, report: RunReport) -> None:
        assert live_sandbox_processes(sandbox) == [], "a sandboxed process survived"
        assert list(sandbox.workspace_root.iterdir()) == [], "a job directory was left behind"
        canary.assert_untouched()
        text = repr(report)
        assert canary.secret not in text
        if sandbox.uids:
            assert sandbox.pool is not None
            assert sandbox.pool.in_use() == 0

    return check

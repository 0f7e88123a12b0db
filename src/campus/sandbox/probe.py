"""Start-up probe: which containment layers actually work on this host.

Nothing is assumed from configuration: every layer is verified by running a real program
through the real launcher, as a real job would run, and reading back what it observed
(its uid, groups, rlimits, pid, network interfaces, ``NoNewPrivs``).

The interpreter used INSIDE the sandbox is chosen here too. The worker's own interpreter is
preferred, but it may be unusable for the job uid: e.g. a pyenv build under ``/root/.pyenv``
cannot be reached by an unprivileged uid (``/root`` is 0700), neither directly nor as a
bubblewrap bind source (bubblewrap runs as the job uid). Candidates are therefore tried in
order - the worker's base interpreter, ``/usr/bin/python3``, ``/usr/local/bin/python3`` - and
the first one that really starts inside the sandbox wins. The harness only needs the standard
library of Python >= 3.8, and submissions are graded against that interpreter's version
(reported as ``SandboxLayers.python``).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from campus.sandbox.command import (
    SANDBOX_DIR,
    bwrap_command,
    is_system_path,
    sandbox_env,
)
from campus.sandbox.execution import ExecutionRequest, LaunchServer, execute
from campus.sandbox.launcher import SECCOMP_FD
from campus.sandbox.limits import MiB, SandboxLimits
from campus.sandbox.seccomp import build_filter
from campus.sandbox.tools import TOOL_DIR, copy_tool, find_ruff
from campus.sandbox.uidpool import UidLease, UidPool
from campus.sandbox.workspace import Workspace

logger = logging.getLogger("campus.sandbox")

_PROBE_LIMITS = SandboxLimits(cpu_seconds=5, wall_seconds=10, memory_bytes=512 * MiB)
_PROBE_SCRIPT = """
import json, os, resource, socket, sys
names = ["RLIMIT_CORE", "RLIMIT_CPU", "RLIMIT_AS", "RLIMIT_NPROC", "RLIMIT_FSIZE", "RLIMIT_NOFILE"]
status = open("/proc/self/status").read()
field = lambda key: [l.split()[1] for l in status.splitlines() if l.startswith(key + ":")]
print(json.dumps({
    "uid": os.getuid(), "euid": os.geteuid(), "gid": os.getgid(), "groups": os.getgroups(),
    "pid": os.getpid(),
    "ifaces": [name for _i, name in socket.if_nameindex()],
    "rlimits": {n: list(resource.getrlimit(getattr(resource, n))) for n in names},
    "no_new_privs": field("NoNewPrivs") == ["1"],
    "seccomp": field("Seccomp") == ["2"],
    "version": list(sys.version_info[:3]),
    "env": sorted(os.environ),
}))
"""


@dataclass(frozen=True, slots=True)
class SandboxLayers:
    """Which containment layers are active (verified, not assumed)."""

    rlimits: bool
    uid_switch: bool
    bubblewrap: bool
    pid_namespace: bool
    network_isolated: bool
    subreaper: bool = False
    no_new_privs: bool = False
    seccomp: bool = False
    python: str | None = None  # interpreter used inside the sandbox
    python_version: str | None = None
    notes: tuple[str, ...] = field(default=())
    ruff: str | None = None  # "ruff X.Y.Z" when the linter runs inside the sandbox

    def active(self) -> tuple[str, ...]:
        names = (
            "rlimits",
            "uid_switch",
            "bubblewrap",
            "pid_namespace",
            "network_isolated",
            "subreaper",
            "no_new_privs",
            "seccomp",
        )
        return tuple(name for name in names if getattr(self, name))


@dataclass(frozen=True, slots=True)
class SandboxEnvironment:
    """Everything the runner needs to build command lines, as verified by the probe."""

    layers: SandboxLayers
    bwrap: str | None
    python: str | None
    python_binds: tuple[str, ...]
    node: str | None
    node_binds: tuple[str, ...]
    seccomp: bytes | None = None
    ruff: str | None = None  # host path of a ruff binary the sandbox can run


def _python_candidates() -> list[tuple[str, tuple[str, ...]]]:
    """``(interpreter, directories to bind read-only under bubblewrap)`` in preference order."""
    found: list[tuple[str, tuple[str, ...]]] = []
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    base = os.path.join(sys.base_prefix, "bin", version)
    if os.path.isfile(base):
        prefix = os.path.realpath(sys.base_prefix)
        found.append((base, () if is_system_path(prefix) else (prefix,)))
    for path in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.path.isfile(path) and all(path != c for c, _ in found):
            found.append((path, ()))
    return found


def find_bwrap() -> str | None:
    """The bubblewrap binary: on the worker's PATH, else the distribution's location."""
    return shutil.which("bwrap") or ("/usr/bin/bwrap" if os.path.isfile("/usr/bin/bwrap") else None)


def _node_candidate() -> tuple[str, tuple[str, ...]] | None:
    node = shutil.which("node")
    if node is None:
        return None
    real = os.path.realpath(node)
    if is_system_path(real):
        return real, ()
    return real, (os.path.dirname(os.path.dirname(real)),)


class _Trial:
    """Runs small programs exactly the way jobs run (launcher, rlimits, uid, bubblewrap)."""

    def __init__(
        self,
        lease: UidLease | None,
        workspace_root: str | None,
        server: LaunchServer | None = None,
    ) -> None:
        self.uid = lease.uid if lease else None
        self.gid = lease.gid if lease else None
        self.workspace_root = workspace_root
        self.server = server

    def run(
        self,
        inner: Sequence[str],
        bwrap: str | None,
        binds: Sequence[str] = (),
        *,
        address_space_limit: bool = True,
        seccomp: bytes | None = None,
        mapped: dict[str, str] | None = None,
        raw: bool = False,
    ) -> tuple[bool, str, dict[str, Any]]:
        workspace = Workspace.create(self.workspace_root, self.uid, self.gid)
        try:
            if bwrap is not None:
                argv = bwrap_command(
                    bwrap,
                    inner,
                    uid=self.uid if self.uid is not None else os.getuid(),
                    gid=self.gid if self.gid is not None else os.getgid(),
                    limits=_PROBE_LIMITS,
                    files={},
                    extra_ro_binds=binds,
                    seccomp_fd=SECCOMP_FD if seccomp else None,
                    mapped_ro_binds=mapped,
                )
                home = SANDBOX_DIR
            else:
                argv, home = list(inner), workspace.job_dir
            outcome = execute(
                ExecutionRequest(
                    argv=argv,
                    env=sandbox_env(home),
                    cwd="/" if bwrap else workspace.job_dir,
                    uid=self.uid,
                    gid=self.gid,
                    limits=_PROBE_LIMITS,
                    address_space_limit=address_space_limit,
                    seccomp=seccomp,
                    seccomp_via_bwrap=bwrap is not None,
                ),
                nproc_relative=self.uid is None,
                server=self.server,
            )
        finally:
            workspace.remove()
        extra: dict[str, Any] = {"subreaper": outcome.subreaper}
        if outcome.infra_error:
            return False, outcome.infra_error, extra
        if outcome.exit_code != 0:
            detail = outcome.stderr.decode("utf-8", "replace").strip()[-500:]
            return False, f"exit {outcome.exit_code} signal {outcome.signal}: {detail}", extra
        if raw:
            return True, "", {**extra, "stdout": outcome.stdout.decode("utf-8", "replace")}
        try:
            observed = json.loads(outcome.stdout.decode("utf-8") or "{}")
        except ValueError:
            return False, "unreadable probe output", extra
        return True, "", {**extra, **observed}


def probe_environment(
    *,
    uid_pool: UidPool | None = None,
    use_bubblewrap: bool | None = None,
    workspace_root: str | None = None,
    probe_node: bool = True,
    probe_ruff: bool = True,
    server: LaunchServer | None = None,
) -> SandboxEnvironment:
    """Probe the host. ``use_bubblewrap=False`` disables that layer on purpose;
    ``probe_node=False`` skips the (optional) JavaScript runtime, ``probe_ruff=False`` the
    (optional) linter. ``server`` runs the trials through the runner's zygote launcher."""
    notes: list[str] = []
    is_root = os.geteuid() == 0
    lease: UidLease | None = None
    if is_root:
        pool = uid_pool or UidPool()
        lease = pool.try_acquire()
        if lease is None:
            raise RuntimeError("the sandbox probe needs a free uid in the pool")
    else:
        notes.append("not running as root: no dedicated uid per job (uid layer inactive)")
    try:
        trial = _Trial(lease, workspace_root, server)
        bwrap: str | None = None
        if use_bubblewrap is False:
            notes.append("bubblewrap disabled by configuration")
        else:
            candidate = find_bwrap()
            if candidate is None:
                notes.append("bubblewrap (bwrap) is not installed")
            else:
                ok, why, _ = trial.run(["/bin/true"], candidate)
                if ok:
                    bwrap = candidate
                else:
                    notes.append(f"bubblewrap does not work here: {why}")
        seccomp = build_filter()
        if seccomp is None:
            notes.append("no seccomp filter for this CPU architecture")
        python: str | None = None
        python_binds: tuple[str, ...] = ()
        observed: dict[str, Any] = {}
        for attempt_seccomp in (seccomp, None) if seccomp else (None,):
            for interpreter, binds in _python_candidates():
                inner = [interpreter, "-I", "-S", "-B", "-c", _PROBE_SCRIPT]
                ok, why, data = trial.run(inner, bwrap, binds, seccomp=attempt_seccomp)
                if ok:
                    python, python_binds, observed = interpreter, binds, data
                    break
                notes.append(f"interpreter {interpreter} unusable in the sandbox: {why}")
            if python is not None:
                seccomp = attempt_seccomp
                break
            if attempt_seccomp is not None:
                notes.append("retrying without the seccomp filter")
        node_binds: tuple[str, ...] = ()
        node: str | None = None
        node_candidate = _node_candidate() if probe_node else None
        if node_candidate is not None:
            ok, why, _ = trial.run(
                [node_candidate[0], "-e", "0"],
                bwrap,
                node_candidate[1],
                address_space_limit=False,
                seccomp=seccomp,
            )
            if ok:
                node, node_binds = node_candidate
            else:
                notes.append(f"node unusable in the sandbox: {why}")
        ruff, ruff_version = (None, None)
        if probe_ruff:
            ruff, ruff_version = _probe_ruff(trial, bwrap, seccomp, notes)
    finally:
        if lease is not None:
            lease.release()

    layers = _layers_from(observed, lease, bwrap, python, notes, ruff_version)
    _log_layers(layers)
    return SandboxEnvironment(
        layers,
        bwrap,
        python,
        python_binds,
        node,
        node_binds,
        seccomp if layers.seccomp else None,
        ruff,
    )


def _probe_ruff(
    trial: _Trial, bwrap: str | None, seccomp: bytes | None, notes: list[str]
) -> tuple[str | None, str | None]:
    """``(host path, version)`` of a ruff binary that runs inside the sandbox, if any."""
    found = find_ruff()
    if found is None:
        notes.append("ruff is not installed: submissions get no lint findings")
        return None, None

    def attempt(path: str) -> tuple[bool, str, str]:
        inside = f"{TOOL_DIR}/ruff" if bwrap else path
        mapped = {inside: path} if bwrap else None
        ok, why, data = trial.run([inside, "--version"], bwrap, seccomp=seccomp, mapped=mapped,
                                  raw=True)  # fmt: skip
        return ok, why, str(data.get("stdout", "")).strip()

    ok, why, version = attempt(found)
    if not ok:
        try:
            copied = copy_tool(found)
        except OSError as exc:
            notes.append(f"ruff unusable in the sandbox ({why}) and could not be copied: {exc}")
            return None, None
        ok, why_copy, version = attempt(copied)
        if not ok:
            notes.append(f"ruff unusable in the sandbox: {why}; copy: {why_copy}")
            return None, None
        found = copied
    return found, version or "ruff"


def _layers_from(
    observed: dict[str, Any],
    lease: UidLease | None,
    bwrap: str | None,
    python: str | None,
    notes: list[str],
    ruff_version: str | None = None,
) -> SandboxLayers:
    expected_limits = {name: [soft, hard] for name, soft, hard in _PROBE_LIMITS.rlimits()}
    got_limits = observed.get("rlimits", {})
    if lease is None:
        expected_limits.pop("RLIMIT_NPROC")  # relative to the current process count
        got_limits = {k: v for k, v in got_limits.items() if k != "RLIMIT_NPROC"}
    rlimits = bool(observed) and got_limits == expected_limits
    uid_switch = (
        lease is not None
        and observed.get("uid") == lease.uid
        and observed.get("euid") == lease.uid
        and observed.get("gid") == lease.gid
        and observed.get("groups") == []
    )
    bubblewrap = bwrap is not None and bool(observed)
    pid_namespace = bubblewrap and isinstance(observed.get("pid"), int) and observed["pid"] < 10
    network_isolated = bubblewrap and set(observed.get("ifaces", ["?"])) <= {"lo"}
    if python is None:
        notes.append("no usable Python interpreter: Python submissions cannot be graded")
    if observed and not rlimits:
        notes.append(f"rlimits not applied as requested: {got_limits}")
    version = observed.get("version")
    return SandboxLayers(
        rlimits=rlimits,
        uid_switch=uid_switch,
        bubblewrap=bubblewrap,
        pid_namespace=pid_namespace,
        network_isolated=network_isolated,
        subreaper=bool(observed.get("subreaper")),
        no_new_privs=bool(observed.get("no_new_privs")),
        seccomp=bool(observed.get("seccomp")),
        python=python,
        python_version=".".join(str(v) for v in version) if isinstance(version, list) else None,
        notes=tuple(notes),
        ruff=ruff_version,
    )


def _log_layers(layers: SandboxLayers) -> None:
    logger.info(
        "sandbox layers: rlimits=%s uid_switch=%s bubblewrap=%s pid_namespace=%s "
        "network_isolated=%s subreaper=%s no_new_privs=%s seccomp=%s python=%s (%s) lint=%s",
        layers.rlimits,
        layers.uid_switch,
        layers.bubblewrap,
        layers.pid_namespace,
        layers.network_isolated,
        layers.subreaper,
        layers.no_new_privs,
        layers.seccomp,
        layers.python,
        layers.python_version,
        layers.ruff,
    )
    for note in layers.notes:
        logger.warning("sandbox: %s", note)


def probe_layers(
    *, uid_pool: UidPool | None = None, use_bubblewrap: bool | None = None
) -> SandboxLayers:
    """Verify and log which sandbox layers are active on this host (takes ~0.1-0.3 s)."""
    return probe_environment(uid_pool=uid_pool, use_bubblewrap=use_bubblewrap).layers

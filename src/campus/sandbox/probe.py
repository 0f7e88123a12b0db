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
    namespace_mounts,
    sandbox_env,
)
from campus.sandbox.execution import ExecutionRequest, LaunchServer, execute
from campus.sandbox.launcher import SECCOMP_FD, JobCgroup
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
    "ns": {n: os.readlink("/proc/self/ns/" + n) for n in ("ipc", "mnt", "net", "pid", "uts")},
    "host_files": [p for p in ("/etc/passwd", "/run", "/var/tmp", "/home") if os.path.exists(p)],
}))
"""
_NAMESPACES = ("ipc", "mnt", "net", "pid", "uts")


class SandboxUnavailable(RuntimeError):
    """The deployment requires a layer (e.g. bubblewrap) that does not work on this host."""


_CGROUP_PARENT = "campus-sandbox"
_CGROUP_PROBE_LIMITS = {"memory": 64 * MiB, "pids": 8}


def _own_cgroups() -> dict[str, str]:
    """``{controller: path of our cgroup}`` (``""`` for the cgroup v2 hierarchy)."""
    own: dict[str, str] = {}
    try:
        with open("/proc/self/cgroup", encoding="ascii") as handle:
            for line in handle:
                _hid, controllers, path = line.rstrip("\n").split(":", 2)
                for controller in controllers.split(",") if controllers else [""]:
                    own[controller] = path
    except OSError:
        pass
    return own


def _cgroup_mounts() -> list[tuple[str, str, set[str]]]:
    found = []
    try:
        with open("/proc/mounts", encoding="utf-8") as handle:
            for line in handle:
                parts = line.split()
                if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
                    found.append((parts[1], parts[2], set(parts[3].split(","))))
    except OSError:
        pass
    return found


def _try_spec(spec: dict[str, Any]) -> str | None:
    """Create and remove one job cgroup with ``spec``; the error, or ``None`` if it works."""
    try:
        JobCgroup(spec, _CGROUP_PROBE_LIMITS).remove()
    except OSError as exc:
        return str(exc)
    return None


def find_job_cgroup(notes: list[str]) -> dict[str, Any] | None:
    """Where per-job cgroups can be made: cgroup v2 when the host delegates a subtree with the
    memory, pids and cpu controllers, else cgroup v1 memory + pids + cpuacct (+ cpu), under a
    ``campus-sandbox`` child of our own cgroup. ``None`` (with a note) when neither works."""
    if os.geteuid() != 0:
        notes.append("not root: no per-job cgroup (whole-job limits are sampled)")
        return None
    own, mounts = _own_cgroups(), _cgroup_mounts()
    for mount, kind, _options in mounts:
        if kind != "cgroup2":
            continue
        base = os.path.join(mount, own.get("", "/").lstrip("/"))
        parent = os.path.join(base, _CGROUP_PARENT)
        try:
            with open(os.path.join(base, "cgroup.controllers"), encoding="ascii") as handle:
                available = set(handle.read().split())
            if not {"memory", "pids", "cpu"} <= available:
                continue
            os.makedirs(parent, exist_ok=True)
            with open(os.path.join(parent, "cgroup.subtree_control"), "w") as handle:
                handle.write("+memory +pids +cpu")
        except OSError:
            continue
        spec: dict[str, Any] = {"version": 2, "root": parent}
        if _try_spec(spec) is None:
            return spec
    roots: dict[str, str] = {}
    for controller in ("memory", "pids", "cpuacct", "cpu"):
        for mount, kind, options in mounts:
            if kind == "cgroup" and controller in options and controller in own:
                path = own[controller].lstrip("/")
                roots[controller] = os.path.join(mount, path, _CGROUP_PARENT)
                break
    missing = {"memory", "pids", "cpuacct"} - set(roots)
    if missing:
        notes.append(
            f"no cgroup v1 {', '.join(sorted(missing))} controller and no delegated cgroup v2: "
            "whole-job limits are sampled (weaker, ADR 0024)"
        )
        return None
    spec = {"version": 1, "roots": roots}
    error = _try_spec(spec)
    if error is not None and "cpu" in roots:
        del roots["cpu"]
        error = _try_spec(spec)
    if error is not None:
        notes.append(f"cannot create per-job cgroups ({error}): whole-job limits are sampled")
        return None
    return spec


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
    #: The launcher's own namespaces (``unshare``) when bubblewrap is not used
    namespaces: bool = False
    mount_namespace: bool = False
    ipc_namespace: bool = False
    uts_namespace: bool = False
    #: Only the sandbox's own file system view (no ``/etc/passwd``, ``/run``, ``/home``...)
    private_filesystem: bool = False
    #: How the memory, CPU and process limits hold for the whole job: "cgroup v2",
    #: "cgroup v1" or "sampled" (the documented weaker bound, see ADR 0024)
    job_limits: str = "sampled"
    #: Set by the runner: the isolation is incomplete and the deployment accepted that
    #: explicitly (``allow_weak``, development only)
    weak: bool = False

    @property
    def isolated(self) -> bool:
        """Every job in its own mount, PID, network, IPC and UTS namespaces with only the
        sandbox's file system view: what production requires (ADR 0024)."""
        return (
            self.pid_namespace
            and self.network_isolated
            and self.mount_namespace
            and self.ipc_namespace
            and self.uts_namespace
            and self.private_filesystem
        )

    @property
    def isolation(self) -> str:
        if self.isolated:
            return "bubblewrap" if self.bubblewrap else "namespaces"
        return "none"

    def active(self) -> tuple[str, ...]:
        names = (
            "rlimits",
            "uid_switch",
            "bubblewrap",
            "namespaces",
            "pid_namespace",
            "network_isolated",
            "mount_namespace",
            "ipc_namespace",
            "uts_namespace",
            "private_filesystem",
            "subreaper",
            "no_new_privs",
            "seccomp",
        )
        found = tuple(name for name in names if getattr(self, name))
        if self.job_limits != "sampled":
            found += ("cgroup",)
        return found


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
    namespaces: bool = False  # the launcher makes the namespaces (no bubblewrap)
    cgroup: dict[str, Any] | None = None  # per-job cgroup spec for the launcher


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
        cgroup: dict[str, Any] | None = None,
    ) -> None:
        self.uid = lease.uid if lease else None
        self.gid = lease.gid if lease else None
        self.workspace_root = workspace_root
        self.server = server
        self.cgroup = cgroup
        self.namespaces = False

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
        namespaces: dict[str, Any] = {}
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
                home, cwd = SANDBOX_DIR, "/"
            elif self.namespaces:
                argv, home = list(inner), SANDBOX_DIR
                cwd = SANDBOX_DIR
                namespaces = {
                    "root": workspace.fs_dir,
                    "mounts": namespace_mounts(
                        uid=self.uid if self.uid is not None else os.getuid(),
                        gid=self.gid if self.gid is not None else os.getgid(),
                        limits=_PROBE_LIMITS,
                        files={},
                        extra_ro_binds=binds,
                        mapped_ro_binds=mapped,
                    ),
                }
            else:
                argv, home = list(inner), workspace.job_dir
                cwd = workspace.job_dir
            outcome = execute(
                ExecutionRequest(
                    argv=argv,
                    env=sandbox_env(home),
                    cwd=cwd,
                    uid=self.uid,
                    gid=self.gid,
                    limits=_PROBE_LIMITS,
                    address_space_limit=address_space_limit,
                    seccomp=seccomp,
                    seccomp_via_bwrap=bwrap is not None,
                    namespaces=namespaces if bwrap is None and self.namespaces else None,
                    cgroup=self.cgroup,
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
    use_namespaces: bool | None = None,
) -> SandboxEnvironment:
    """Probe the host. ``use_bubblewrap=False`` disables that layer on purpose, ``True``
    requires it (:class:`SandboxUnavailable` if it does not work); without bubblewrap the
    launcher makes the namespaces itself (``use_namespaces=False`` disables that, for tests
    of the weak sandbox). ``probe_node=False`` skips the (optional) JavaScript runtime,
    ``probe_ruff=False`` the (optional) linter. ``server`` runs the trials through the
    runner's zygote launcher."""
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
    cgroup = find_job_cgroup(notes)
    namespaces = False
    try:
        trial = _Trial(lease, workspace_root, server, cgroup)
        bwrap: str | None = None
        if use_bubblewrap is False:
            notes.append("bubblewrap disabled by configuration")
        else:
            candidate = find_bwrap()
            if candidate is None:
                why = "bubblewrap (bwrap) is not installed"
            else:
                ok, why, _ = trial.run(["/bin/true"], candidate)
                if ok:
                    bwrap = candidate
                else:
                    why = f"bubblewrap does not work here: {why}"
            if bwrap is None:
                if use_bubblewrap:
                    raise SandboxUnavailable(
                        f"bubblewrap is required by the configuration but {why.split(': ')[0]}"
                        f" ({why}); install it (apt-get install bubblewrap) or unset "
                        "CAMPUS_SANDBOX_BUBBLEWRAP"
                    )
                notes.append(why)
        if bwrap is None and use_namespaces is not False:
            if not is_root:
                notes.append(
                    "not root and no bubblewrap: no namespaces (install bubblewrap for isolation)"
                )
            else:
                trial.namespaces = True
                ok, why, _ = trial.run(["/bin/true"], None)
                if ok:
                    namespaces = True
                else:
                    trial.namespaces = False
                    notes.append(f"the launcher cannot make namespaces here: {why}")
        elif bwrap is None:
            notes.append("namespaces disabled by configuration")
        seccomp = build_filter(inet=bwrap is not None or namespaces)
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

    layers = _layers_from(observed, lease, bwrap, python, notes, ruff_version, namespaces, cgroup)
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
        namespaces=namespaces,
        cgroup=cgroup,
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
        isolated = bwrap is not None or trial.namespaces
        inside = f"{TOOL_DIR}/ruff" if isolated else path
        mapped = {inside: path} if isolated else None
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
    namespaces: bool = False,
    cgroup: dict[str, Any] | None = None,
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
    isolated = bubblewrap or (namespaces and bool(observed))
    seen_ns = observed.get("ns") or {}
    own_ns = {name: _own_namespace(name) for name in _NAMESPACES}
    new_ns = {name: bool(seen_ns.get(name)) and seen_ns.get(name) != own_ns[name]
              for name in _NAMESPACES}  # fmt: skip
    pid_namespace = (
        isolated and new_ns["pid"] and isinstance(observed.get("pid"), int) and observed["pid"] < 10
    )
    network_isolated = isolated and new_ns["net"] and set(observed.get("ifaces", ["?"])) <= {"lo"}
    private_filesystem = isolated and new_ns["mnt"] and observed.get("host_files") == []
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
        namespaces=namespaces and bool(observed),
        mount_namespace=isolated and new_ns["mnt"],
        ipc_namespace=isolated and new_ns["ipc"],
        uts_namespace=isolated and new_ns["uts"],
        private_filesystem=private_filesystem,
        job_limits=f"cgroup v{cgroup['version']}" if cgroup else "sampled",
    )


def _own_namespace(name: str) -> str | None:
    try:
        return os.readlink(f"/proc/self/ns/{name}")
    except OSError:
        return None


def _log_layers(layers: SandboxLayers) -> None:
    logger.info(
        "sandbox layers: isolation=%s job_limits=%s rlimits=%s uid_switch=%s bubblewrap=%s "
        "pid_namespace=%s network_isolated=%s subreaper=%s no_new_privs=%s seccomp=%s "
        "python=%s (%s) lint=%s",
        layers.isolation,
        layers.job_limits,
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
    *,
    uid_pool: UidPool | None = None,
    use_bubblewrap: bool | None = None,
    use_namespaces: bool | None = None,
) -> SandboxLayers:
    """Verify and log which sandbox layers are active on this host (takes ~0.1-0.3 s)."""
    return probe_environment(
        uid_pool=uid_pool, use_bubblewrap=use_bubblewrap, use_namespaces=use_namespaces
    ).layers

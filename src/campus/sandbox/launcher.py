"""The trusted launcher: the only code that runs between the runner and the sandboxed program.

The runner starts ``<host python> -I -S -B launcher.py <config>`` (as root when the uid
layer is active) for every execution. The launcher

1. becomes a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so every descendant of the
   sandboxed program, however it daemonizes (double fork, ``setsid``), stays in its subtree
   and is reaped by it; orphans never escape to the host's init (which, in containers, often
   never reaps them: leftover zombies would count against ``RLIMIT_NPROC`` forever);
2. forks the child that calls ``setsid()``, applies the rlimits, drops to the job's uid/gid
   with no supplementary groups, sets ``no_new_privs``, moves the result-channel pipe to fd 3
   and ``execve``-s the program (bubblewrap or the interpreter) with an explicit, minimal
   environment;
3. waits until the child exits, the wall-clock budget is spent, or the runner asks it to stop
   (the runner closes the control pipe, which also happens automatically if the runner dies);
4. ``SIGKILL``-s the child's process group, then repeatedly kills every remaining descendant
   (scanning ``/proc``, signalling through pidfds so a recycled pid is never hit) and reaps
   them all, until it has no child left - which, for a subreaper, proves that no process of
   the execution is alive;
5. writes one report (exit status, wall time, CPU time, peak RSS, survivors) to the
   status pipe, which only it holds.

Why a separate launcher process rather than ``subprocess``'s ``preexec_fn``: ``preexec_fn``
runs Python code between ``fork`` and ``exec`` in a copy of a *multi-threaded* process (the
worker runs an event loop plus thread pools), which the Python documentation warns can
deadlock; it also could not outlive the ``exec`` to act as subreaper and supervisor. The
launcher is single-threaded, tiny, standard-library only and started with ``-I -S`` (no
environment variables, no site, no user paths), so nothing from the job can influence it.
It is executed as a script and must therefore not import anything from ``campus``.

Two ways to start it (same supervision code, same guarantees):

* *one shot*: ``launcher.py <config>`` supervises one execution and exits (the probe and
  tests use it);
* *zygote* (``launcher.py --serve <fd>``, what :class:`LocalSandboxRunner` uses): a
  long-lived, single-threaded launcher per worker process receives execution requests
  (configuration plus the execution's descriptors, ``SCM_RIGHTS``) on a private
  ``SOCK_SEQPACKET`` socket and forks one *supervisor* per execution, which does exactly what
  the one-shot launcher does (1-5 above) and exits. Forking an initialised launcher costs
  about a millisecond; starting a fresh interpreter and importing ``ctypes`` cost tens of
  milliseconds per test case. The zygote itself never runs submitted code, never reads an
  execution's input or output, keeps no descriptor of an execution after forking its
  supervisor, and exits when the worker closes the socket (or dies).

Its configuration (argv[1] or the request) and its report use :mod:`marshal`, not JSON:
``json`` pulls in ``re`` and would add ~10-15 ms to *every* test execution. Both ends are the
same trusted interpreter (the runner starts the launcher with ``sys.executable``) and nothing
produced by sandboxed code is ever unmarshalled.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import marshal
import os
import resource
import select
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

PR_SET_PDEATHSIG = 1
CLONE_NEWNS = 0x00020000
CLONE_NEWUTS = 0x04000000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
_DEVICES = ("null", "zero", "full", "random", "urandom")
_POLL_SECONDS = 0.02  # whole-job CPU / memory sampling period
PR_SET_SECCOMP = 22
PR_SET_CHILD_SUBREAPER = 36
PR_SET_NO_NEW_PRIVS = 38
SECCOMP_MODE_FILTER = 2
RESULT_FD = 3
SECCOMP_FD = 4  # where bubblewrap finds the filter (``--seccomp 4``)
_HIGH_FD = 64
EXIT_LAUNCH_FAILED = 127
_REAP_SECONDS = 3.0


# --------------------------------------------------------------------------- /proc helpers
# (also used by the runner for its own after-the-fact sweep)


def _read_file(path: str) -> str | None:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def proc_info(pid: int) -> tuple[int, str, tuple[int, ...]] | None:
    """``(ppid, state, (ruid, euid, suid, fsuid))`` of a process, or ``None`` if it is gone."""
    status = _read_file(f"/proc/{pid}/status")
    if status is None:
        return None
    ppid, state = -1, "?"
    uids: tuple[int, ...] = ()
    for line in status.splitlines():
        key, _, value = line.partition(":")
        if key == "PPid":
            ppid = int(value)
        elif key == "State":
            state = value.strip()[:1]
        elif key == "Uid":
            uids = tuple(int(v) for v in value.split())
    if state == "Z" and _has_live_thread(pid):
        state = "R"  # a zombie leader whose threads still run: alive
    return ppid, state, uids


def _has_live_thread(pid: int) -> bool:
    """A thread-group leader that exited (raw ``exit``) while other threads run shows as a
    zombie, yet the process is alive: look at every thread."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        status = _read_file(f"/proc/{pid}/task/{tid}/status") or ""
        for line in status.splitlines():
            if line.startswith("State:"):
                if line.split()[1] not in ("Z", "X"):
                    return True
                break
    return False


def all_pids() -> list[int]:
    return [int(name) for name in os.listdir("/proc") if name.isdigit()]


def live_pids_of_uid(uid: int) -> list[int]:
    """Processes (not zombies) whose real, effective, saved or filesystem uid is ``uid``."""
    found = []
    for pid in all_pids():
        info = proc_info(pid)
        if info is not None and info[1] != "Z" and uid in info[2]:
            found.append(pid)
    return found


def live_descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    states: dict[int, str] = {}
    for pid in all_pids():
        info = proc_info(pid)
        if info is not None:
            children.setdefault(info[0], []).append(pid)
            states[pid] = info[1]
    found, todo = [], list(children.get(root, ()))
    while todo:
        pid = todo.pop()
        if states.get(pid) != "Z":
            found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def _is_descendant(pid: int, root: int) -> bool:
    seen = 0
    while pid > 1 and seen < 4096:
        info = proc_info(pid)
        if info is None:
            return False
        if info[0] == root:
            return True
        pid, seen = info[0], seen + 1
    return False


def kill_checked(pid: int, still_a_target: Callable[[int], bool]) -> bool:
    """SIGKILL ``pid`` if, once pinned by a pidfd, it is still a target (no pid-reuse race)."""
    try:
        pidfd = os.pidfd_open(pid)
    except OSError:
        return False
    try:
        if not still_a_target(pid):
            return False
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        return True
    except OSError:
        return False
    finally:
        os.close(pidfd)


def kill_uid(uid: int) -> int:
    """One round: SIGKILL every live process of ``uid``. Returns how many were signalled."""

    def owned(pid: int) -> bool:
        info = proc_info(pid)
        return info is not None and info[1] != "Z" and uid in info[2]

    return sum(kill_checked(pid, owned) for pid in live_pids_of_uid(uid))


def sweep_uid(uid: int, seconds: float = _REAP_SECONDS) -> int:
    """Kill every process of ``uid`` until none is left; returns the number still alive."""
    deadline = time.monotonic() + seconds
    while True:
        if not live_pids_of_uid(uid):
            return 0
        kill_uid(uid)
        if time.monotonic() > deadline:
            return len(live_pids_of_uid(uid))
        time.sleep(0.002)


# --------------------------------------------------------------------------- supervision


def _encode(value: str | None) -> bytes | None:
    return None if value is None else value.encode()


class _Prctl:
    """``prctl(2)`` through ctypes (the only non-trivial standard-library use here)."""

    def __init__(self) -> None:
        self.libc = ctypes.CDLL(None, use_errno=True)
        self.libc.prctl.restype = ctypes.c_int

    def __call__(self, option: int, arg2: int, arg3: Any = 0) -> int:
        return int(self.libc.prctl(option, ctypes.c_ulong(arg2), arg3, 0, 0))

    def check(self, result: int, what: str) -> None:
        if result != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"{what}: {os.strerror(err)}")

    def unshare(self, flags: int) -> None:
        self.check(self.libc.unshare(ctypes.c_int(flags)), "unshare")

    def mount(
        self, source: str | None, target: str, fstype: str | None, flags: int, data: str | None
    ) -> None:
        result = self.libc.mount(
            _encode(source), _encode(target), _encode(fstype), ctypes.c_ulong(flags), _encode(data)
        )
        self.check(result, f"mount {target}")

    def umount(self, target: str, flags: int) -> None:
        self.check(self.libc.umount2(target.encode(), ctypes.c_int(flags)), f"umount {target}")

    def pivot_root(self, new_root: str, put_old: str) -> None:
        nr = {"x86_64": 155, "aarch64": 41}[os.uname().machine]
        result = self.libc.syscall(ctypes.c_long(nr), new_root.encode(), put_old.encode())
        self.check(result, "pivot_root")

    def sethostname(self, name: str) -> None:
        data = name.encode()
        self.check(self.libc.sethostname(data, ctypes.c_size_t(len(data))), "sethostname")

    def seccomp_program(self, program: bytes) -> Any:
        """A ``struct sock_fprog`` for ``program`` (built before fork, used in the child)."""

        class SockFprog(ctypes.Structure):
            _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

        buffer = ctypes.create_string_buffer(program, len(program))
        fprog = SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
        fprog._keep = buffer  # keep the buffer alive as long as the struct
        return fprog


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_all(fd: int, limit: int = 65536) -> bytes:
    chunks, size = [], 0
    while size < limit:
        data = os.read(fd, limit - size)
        if not data:
            break
        chunks.append(data)
        size += len(data)
    return b"".join(chunks)


def _move_high(fd: int) -> int:
    """Duplicate ``fd`` to a close-on-exec descriptor >= 64 and close the original."""
    high = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)
    os.close(fd)
    return high


def _count_processes_of(uid: int) -> int:
    return len(live_pids_of_uid(uid))


def _child(
    config: dict[str, Any],
    fd_map: dict[int, int],
    err_w: int,
    prctl: _Prctl,
    fprog: Any,
) -> None:
    """In the forked child: confine ourselves, then exec. Never returns."""
    try:
        os.setsid()
        os.umask(0o077)
        for sig in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, signal.SIG_DFL)
        is_root = os.geteuid() == 0
        for name, soft, hard in config["rlimits"]:
            res = getattr(resource, name)
            if not is_root:  # an unprivileged process can only lower its limits
                _cur_soft, cur_hard = resource.getrlimit(res)
                if cur_hard != resource.RLIM_INFINITY:
                    hard = min(hard, cur_hard)
                    soft = min(soft, hard)
            resource.setrlimit(res, (soft, hard))
        uid, gid = config.get("uid"), config.get("gid")
        if gid is not None:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
        if uid is not None:
            os.setresuid(uid, uid, uid)
            if os.getresuid() != (uid, uid, uid) or os.getgroups():
                raise PermissionError("could not drop privileges")
        # After the credential change (which clears it): die if the launcher dies.
        prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        if prctl(PR_SET_NO_NEW_PRIVS, 1) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
        for target, source in fd_map.items():  # sources are all >= 64: no clobbering
            os.dup2(source, target, inheritable=True)
            os.close(source)
        os.chdir(config["cwd"])
        argv = config["argv"]
        if (
            fprog is not None
            and prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog)) != 0
        ):
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
        os.execve(argv[0], argv, config["env"])  # noqa: S606 - no shell  # nosec B606
    except BaseException as exc:  # report and die: never fall through into the launcher
        try:
            _write_all(err_w, f"{type(exc).__name__}: {exc}".encode("utf-8", "replace"))
        finally:
            os._exit(EXIT_LAUNCH_FAILED)


# --------------------------------------------------------------------------- namespaces


def _make_mountpoint(path: str, directory: bool) -> None:
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    if directory:
        os.makedirs(path, mode=0o755, exist_ok=True)
    elif not os.path.lexists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644)
        os.close(fd)


def _bind(prctl: _Prctl, source: str, target: str, *, read_only: bool = True) -> None:
    _make_mountpoint(target, os.path.isdir(source))
    prctl.mount(source, target, None, MS_BIND | MS_REC, None)
    if read_only:
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV
        prctl.mount(None, target, None, flags, None)


def _mount_dev(prctl: _Prctl, target: str) -> None:
    """A minimal /dev: the harmless character devices (bound from the host), the usual
    symlinks and an empty ``shm`` for the private tmpfs."""
    _make_mountpoint(target, True)
    prctl.mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=0755,size=65536")
    for name in _DEVICES:
        _bind(prctl, f"/dev/{name}", f"{target}/{name}", read_only=False)
    for name, link in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                       ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):  # fmt: skip
        os.symlink(link, f"{target}/{name}")
    os.mkdir(f"{target}/shm", 0o755)


def enter_namespaces(prctl: _Prctl, spec: dict[str, Any]) -> None:
    """In the job's PID 1 (root, already in the new PID namespace): new mount, network, IPC
    and UTS namespaces, and a fresh root file system built from ``spec["mounts"]`` (see
    ``command.namespace_mounts``) on a tmpfs at ``spec["root"]``, then ``pivot_root`` into it:
    nothing of the host's file system is reachable but what is listed."""
    prctl.unshare(CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    prctl.sethostname(str(spec.get("hostname", "sandbox")))
    prctl.mount(None, "/", None, MS_REC | MS_PRIVATE, None)  # nothing propagates to the host
    root = str(spec["root"])
    prctl.mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755,size=1048576")
    for op in spec["mounts"]:
        kind, args = op[0], op[1:]
        if kind in ("ro", "ro-try"):
            source, target = args
            if kind == "ro-try" and not os.path.exists(source):
                continue
            _bind(prctl, source, root + target)
        elif kind == "symlink":
            link, target = args
            _make_mountpoint(os.path.dirname(root + target) + "/.", True)
            os.symlink(link, root + target)
        elif kind == "tmpfs":
            target, options = args
            _make_mountpoint(root + target, True)
            prctl.mount("tmpfs", root + target, "tmpfs", MS_NOSUID | MS_NODEV, options)
        elif kind == "proc":
            (target,) = args
            _make_mountpoint(root + target, True)
            flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
            prctl.mount("proc", root + target, "proc", flags, None)
        elif kind == "dev":
            (target,) = args
            _mount_dev(prctl, root + target)
        elif kind == "remount-ro":
            (target,) = args
            flags = MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID
            prctl.mount(None, (root + target).rstrip("/") or "/", None, flags, None)
        else:
            raise ValueError(f"unknown mount operation {kind!r}")
    os.chdir(root)
    prctl.pivot_root(".", ".")
    prctl.umount(".", MNT_DETACH)  # the host's root, stacked under ours: gone
    os.chdir("/")


def _namespace_init(
    config: dict[str, Any],
    fd_map: dict[int, int],
    err_w: int,
    exit_w: int,
    prctl: _Prctl,
    fprog: Any,
) -> None:
    """PID 1 of the job's namespaces (trusted, root). Joins the job's cgroup, builds the
    namespaces, forks the program (``_child``) and waits for it; when the program exits, so
    does PID 1, and the kernel kills every other process of the namespace with it - daemons,
    ``setsid`` sessions and threads whose leader exited included. Never returns."""
    try:
        for path in config.get("cgroup_procs") or ():
            with open(path, "w", encoding="ascii") as handle:
                handle.write("0")
        os.setsid()
        enter_namespaces(prctl, config["namespaces"])
        pid = os.fork()
        if pid == 0:  # pragma: no cover - child
            os.close(exit_w)
            _child(config, fd_map, err_w, prctl, fprog)
        for source in fd_map.values():
            os.close(source)
        os.close(err_w)
        for fd in (0, 1, 2):  # the execution's streams belong to the program only
            with contextlib.suppress(OSError):
                os.close(fd)
    except BaseException as exc:
        try:
            _write_all(err_w, f"namespace setup: {type(exc).__name__}: {exc}".encode())
        finally:
            os._exit(EXIT_LAUNCH_FAILED)
    status = None
    while status is None:
        try:
            got, raw = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if got == pid:
            status = raw
    with contextlib.suppress(OSError):
        _write_all(exit_w, str(status if status is not None else -1).encode())
    os._exit(0)


# --------------------------------------------------------------------------- whole-job limits


def _read_int(path: str) -> int:
    text = _read_file(path)
    return int(text.split()[0]) if text and text.split() else 0


def _write_text(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(value)


class JobCgroup:
    """One cgroup per execution (v2 where the host delegates one, else v1 memory + pids +
    cpuacct [+ cpu]): the memory, process and CPU limits hold for the whole job, and its
    usage is measured for the whole job."""

    def __init__(self, spec: dict[str, Any], limits: dict[str, int]) -> None:
        self.version = int(spec["version"])
        name = f"job-{os.getpid()}-{time.monotonic_ns()}"
        self.dirs: dict[str, str] = {}
        try:
            if self.version == 2:
                self.dirs["unified"] = self._make(spec["root"], name)
                self._set("unified", "memory.max", limits["memory"])
                self._set("unified", "memory.swap.max", 0, optional=True)
                self._set("unified", "pids.max", limits["pids"])
                _write_text(self.dirs["unified"] + "/cpu.max", "100000 100000")
            else:
                for controller, root in spec["roots"].items():
                    self.dirs[controller] = self._make(root, name)
                self._set("memory", "memory.limit_in_bytes", limits["memory"])
                self._set("memory", "memory.memsw.limit_in_bytes", limits["memory"], optional=True)
                self._set("pids", "pids.max", limits["pids"])
                if "cpu" in self.dirs:  # at most one CPU's worth of time per period
                    self._set("cpu", "cpu.cfs_quota_us", 100000, optional=True)
        except BaseException:
            self.remove()
            raise

    @staticmethod
    def _make(root: str, name: str) -> str:
        os.makedirs(root, mode=0o755, exist_ok=True)
        path = os.path.join(root, name)
        os.mkdir(path, 0o755)
        return path

    def _set(self, controller: str, name: str, value: int, *, optional: bool = False) -> None:
        try:
            _write_text(f"{self.dirs[controller]}/{name}", str(value))
        except OSError:
            if not optional:
                raise

    @property
    def procs_files(self) -> list[str]:
        return [f"{path}/cgroup.procs" for path in self.dirs.values()]

    def cpu_ns(self) -> int:
        if self.version == 2:
            for line in (_read_file(self.dirs["unified"] + "/cpu.stat") or "").splitlines():
                if line.startswith("usage_usec"):
                    return int(line.split()[1]) * 1000
            return 0
        return _read_int(self.dirs["cpuacct"] + "/cpuacct.usage")

    def memory_peak(self) -> int:
        if self.version == 2:
            return _read_int(self.dirs["unified"] + "/memory.peak")
        return _read_int(self.dirs["memory"] + "/memory.max_usage_in_bytes")

    def oom_killed(self) -> bool:
        path = (
            self.dirs["unified"] + "/memory.events"
            if self.version == 2
            else self.dirs["memory"] + "/memory.oom_control"
        )
        for line in (_read_file(path) or "").splitlines():
            key, _, value = line.partition(" ")
            if key == "oom_kill" and value.strip().isdigit():
                return int(value) > 0
        return False

    def pids(self) -> list[int]:
        found: set[int] = set()
        for path in self.procs_files:
            found.update(int(v) for v in (_read_file(path) or "").split() if v.isdigit())
        return sorted(found)

    def kill_all(self) -> None:
        if self.version == 2:
            with contextlib.suppress(OSError):
                _write_text(self.dirs["unified"] + "/cgroup.kill", "1")
        for pid in self.pids():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)

    def remove(self) -> None:
        deadline = time.monotonic() + _REAP_SECONDS
        for path in self.dirs.values():
            while True:
                try:
                    os.rmdir(path)
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        break
                    self.kill_all()
                    time.sleep(0.005)


class ProcMeter:
    """Whole-job usage without a cgroup (the documented weaker bound): CPU and resident
    memory summed over every process below ``root``, sampled every few milliseconds. CPU of
    reaped processes is in their reaper's ``cutime``/``cstime``."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.tick = os.sysconf("SC_CLK_TCK")
        self.page = os.sysconf("SC_PAGE_SIZE")
        self.peak = 0

    def sample(self) -> tuple[int, int]:
        """``(cpu ns, resident bytes)`` of the job right now."""
        cpu_ticks, resident = 0, 0
        for pid in live_descendants(self.root):
            stat = _read_file(f"/proc/{pid}/stat")
            if not stat:
                continue
            fields = stat.rsplit(")", 1)[-1].split()
            # fields[0] is field 3 (state): utime=14, stime=15, cutime=16, cstime=17, rss=24
            try:
                cpu_ticks += sum(int(fields[i]) for i in (11, 12, 13, 14))
                resident += int(fields[21]) * self.page
            except (IndexError, ValueError):
                continue
        self.peak = max(self.peak, resident)
        return cpu_ticks * 1_000_000_000 // self.tick, resident


def _reap_available() -> bool:
    """Reap every child that has exited; ``False`` once we have no children at all."""
    while True:
        try:
            pid, _status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return False
        if pid == 0:
            return True


def _terminate_everything(uid: int | None) -> int:
    """Kill and reap every descendant of the launcher; returns how many are still alive.

    As a subreaper we inherit every orphan of the job, so once we have no children left
    (after killing and reaping) no descendant is alive anywhere: nothing can leave a
    subreaper's subtree. Only if that cannot be established in time, every process of the
    job uid is swept as well (the runner sweeps the uid again at the end of each job).
    """
    me = os.getpid()
    deadline = time.monotonic() + _REAP_SECONDS

    def descendant(pid: int) -> bool:
        info = proc_info(pid)
        return info is not None and info[1] != "Z" and _is_descendant(pid, me)

    while _reap_available():
        for pid in live_descendants(me):
            kill_checked(pid, descendant)
        if not _reap_available():
            return 0
        if time.monotonic() > deadline:
            if uid is not None:
                sweep_uid(uid, 0.5)
            return len(live_descendants(me))
        time.sleep(0.001)
    return 0


def _decode_status(status: int) -> tuple[int | None, int | None]:
    if os.WIFSIGNALED(status):
        return None, os.WTERMSIG(status)
    if os.WIFEXITED(status):
        return os.WEXITSTATUS(status), None
    return None, None


def supervise(config: dict[str, Any], control_fd: int) -> dict[str, Any]:
    prctl = _Prctl()
    subreaper = prctl(PR_SET_CHILD_SUBREAPER, 1) == 0
    rlimits = [list(item) for item in config["rlimits"]]
    if config.get("nproc_relative"):
        # Without a dedicated uid RLIMIT_NPROC counts all processes of our own uid.
        for item in rlimits:
            if item[0] == "RLIMIT_NPROC":
                item[1] = item[2] = item[2] + _count_processes_of(os.getuid())
    cgroup = JobCgroup(config["cgroup"], config["job_limits"]) if config.get("cgroup") else None
    try:
        return _supervise(config, control_fd, prctl, subreaper, rlimits, cgroup)
    finally:
        if cgroup is not None:
            cgroup.kill_all()
            cgroup.remove()


def _supervise(
    config: dict[str, Any],
    control_fd: int,
    prctl: _Prctl,
    subreaper: bool,
    rlimits: list[list[Any]],
    cgroup: JobCgroup | None,
) -> dict[str, Any]:
    namespaces = config.get("namespaces")
    child_config = dict(config, rlimits=rlimits)
    if cgroup is not None:
        child_config["cgroup_procs"] = cgroup.procs_files
    fd_map: dict[int, int] = {}
    if config.get("result_fd") is not None:
        fd_map[RESULT_FD] = _move_high(int(config["result_fd"]))
    fprog = None
    seccomp: bytes | None = config.get("seccomp")
    if seccomp and config.get("seccomp_via_bwrap"):
        filter_r, filter_w = os.pipe()
        filter_r, filter_w = _move_high(filter_r), _move_high(filter_w)
        _write_all(filter_w, seccomp)  # a few hundred bytes: fits the pipe buffer
        os.close(filter_w)
        fd_map[SECCOMP_FD] = filter_r
    elif seccomp:
        fprog = prctl.seccomp_program(seccomp)
    err_r, err_w = os.pipe()
    err_r, err_w = _move_high(err_r), _move_high(err_w)
    exit_r, exit_w = os.pipe()
    exit_r, exit_w = _move_high(exit_r), _move_high(exit_w)
    if namespaces:
        # Our next child is PID 1 of a new PID namespace; we stay outside to supervise it.
        prctl.unshare(CLONE_NEWPID)

    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - child
        os.close(exit_r)
        if namespaces:
            _namespace_init(child_config, fd_map, err_w, exit_w, prctl, fprog)
        os.close(exit_w)
        if cgroup is not None:
            for path in cgroup.procs_files:
                _write_text(path, "0")
        _child(child_config, fd_map, err_w, prctl, fprog)
    os.close(err_w)
    os.close(exit_w)
    for source in fd_map.values():
        os.close(source)
    launch_error = _read_all(err_r).decode("utf-8", "replace")
    os.close(err_r)
    if launch_error:
        os.waitpid(pid, 0)
        os.close(exit_r)
        _terminate_everything(config.get("uid"))
        return {"ok": False, "error": f"could not start the sandboxed program: {launch_error}"}

    meter = None if cgroup is not None or not config.get("job_limits") else ProcMeter(os.getpid())
    cpu_budget_ns = int(config.get("cpu_ms") or 0) * 1_000_000
    memory_budget = int((config.get("job_limits") or {}).get("memory") or 0)
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(control_fd, select.POLLIN)
    deadline = started + float(config["wall_seconds"])
    sampling = cpu_budget_ns > 0 and (cgroup is not None or meter is not None)
    stop_reason = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            stop_reason = "timeout"
            break
        wait = min(remaining, _POLL_SECONDS) if sampling else remaining
        events = poller.poll(max(1, int(wait * 1000) + 1))
        fds = {fd for fd, _event in events}
        if control_fd in fds:
            stop_reason = "requested"
            break
        if pidfd in fds:
            break
        if sampling:
            if cgroup is not None:
                cpu_ns = cgroup.cpu_ns()
            else:
                assert meter is not None
                cpu_ns, resident = meter.sample()
                if memory_budget and resident > memory_budget:
                    stop_reason = "memory"
                    break
            if cpu_ns >= cpu_budget_ns:
                stop_reason = "cpu"
                break
    finished = time.monotonic()
    # The child is alive or a zombie, so its pid (= its process group id) is still reserved.
    # With namespaces the child is PID 1 of the job: killing it kills the whole namespace.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    _pid, status, _usage = os.wait4(pid, 0)
    os.close(pidfd)
    if cgroup is not None:
        cgroup.kill_all()
    survivors = _terminate_everything(config.get("uid"))
    program_status = _read_all(exit_r).decode("ascii", "replace").strip()
    os.close(exit_r)
    if namespaces and program_status.lstrip("-").isdigit() and int(program_status) >= 0:
        status = int(program_status)  # how the program itself ended (PID 1 just followed)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the whole reaped tree
    exit_code, signum = _decode_status(status)
    cpu_ms = (usage.ru_utime + usage.ru_stime) * 1000
    max_rss_kb = int(usage.ru_maxrss)
    memory_exceeded = stop_reason == "memory"
    if cgroup is not None:
        cpu_ms = cgroup.cpu_ns() / 1_000_000
        max_rss_kb = max(max_rss_kb, cgroup.memory_peak() // 1024)
        memory_exceeded = memory_exceeded or cgroup.oom_killed()
    elif meter is not None:
        max_rss_kb = max(max_rss_kb, meter.peak // 1024)
    return {
        "ok": True,
        "exit_code": exit_code,
        "signal": signum,
        "stop_reason": stop_reason,
        "wall_ms": round((finished - started) * 1000, 3),
        "cpu_ms": round(cpu_ms, 3),
        "max_rss_kb": max_rss_kb,
        "memory_exceeded": memory_exceeded,
        "survivors": survivors,
        "subreaper": subreaper,
    }


def _run_one(config: dict[str, Any], status_fd: int, control_fd: int) -> None:
    """Supervise one execution and write its report (never raises)."""
    try:
        report = supervise(config, control_fd)
    except BaseException as exc:
        report = {"ok": False, "error": f"launcher failure: {type(exc).__name__}: {exc}"}
        try:
            _terminate_everything(config.get("uid"))
        except Exception as cleanup_error:
            report["error"] += f" (cleanup failed: {cleanup_error})"
    with contextlib.suppress(OSError):  # the runner may be gone: nobody to tell
        _write_all(status_fd, marshal.dumps(report))
    os.close(status_fd)


def main(argv: Iterable[str]) -> int:
    args = list(argv)
    if len(args) == 3 and args[1] == "--serve":
        return serve(int(args[2]))
    config: dict[str, Any] = marshal.loads(bytes.fromhex(args[1]))  # noqa: S302  # nosec B302
    status_fd = _move_high(int(config["status_fd"]))
    control_fd = _move_high(int(config["control_fd"]))
    _run_one(config, status_fd, control_fd)
    return 0


# --------------------------------------------------------------------------- zygote

#: Descriptors of one request, in this order: stdin, stdout, stderr, status, control, result.
REQUEST_FDS = 6
MAX_REQUEST_BYTES = 256 * 1024


def _reap_supervisors() -> None:
    with contextlib.suppress(ChildProcessError):
        while os.waitpid(-1, os.WNOHANG)[0] != 0:
            pass


def _serve_request(server: socket.socket, config: dict[str, Any], fds: list[int]) -> None:
    """In a freshly forked supervisor: take over the execution's descriptors, supervise,
    report, exit. Never returns."""
    try:
        server.close()
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        stdin, stdout, stderr, status, control, result = fds
        for target, source in ((0, stdin), (1, stdout), (2, stderr)):
            os.dup2(source, target, inheritable=True)
            os.close(source)
        status_fd, control_fd = _move_high(status), _move_high(control)
        config = dict(config, result_fd=_move_high(result))
        _run_one(config, status_fd, control_fd)
    finally:
        os._exit(0)


def serve(sock_fd: int) -> int:
    """Zygote loop: one forked supervisor per request, until the runner closes the socket."""
    server = socket.socket(fileno=sock_fd)
    server.set_inheritable(False)
    _Prctl()  # load libc once: every supervisor inherits it already resolved
    while True:
        _reap_supervisors()
        try:
            message, fds, _flags, _addr = socket.recv_fds(server, MAX_REQUEST_BYTES, REQUEST_FDS)
        except InterruptedError:
            continue
        except OSError:
            break
        if not message:
            break  # the runner closed its end (or died): no more work will come
        try:
            config: dict[str, Any] = marshal.loads(message)  # noqa: S302 - runner  # nosec B302
            if len(fds) != REQUEST_FDS or not isinstance(config, dict):
                raise ValueError("malformed request")
            pid = os.fork()
            if pid == 0:  # pragma: no cover - supervisor child
                _serve_request(server, config, fds)
        except Exception as exc:  # report on the request's status pipe, keep serving
            if len(fds) == REQUEST_FDS:
                with contextlib.suppress(OSError):
                    _write_all(fds[3], marshal.dumps({"ok": False, "error": f"zygote: {exc}"}))
        finally:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
    server.close()
    _reap_supervisors()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
